"""Events for client applications, and the webhook subscriptions that deliver them.

The notifier derives these events from the registry's lifecycle events and from telemetry,
and publishes each on the `NOTIFICATIONS` stream under
`notifications.<application_uid>.<user_uid or _>.<evse_uid>`, so a consumer filters by
application (`notifications.<app>.>`) or by user (`notifications.<app>.<user>.>`).
`Nats-Msg-Id` is the event id, which is derived from the source message (`event_id`): a
redelivered source yields the same id, dropped by JetStream or deduplicated by the client.

Webhook deliveries are `WebhookBatch` bodies signed in `SIGNATURE_HEADER`
(`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the subscription secret>`).

Over 300 lines, kept whole: declarations only, and the two halves are one contract (a
subscription names event types, a delivery batch carries the events).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import Field, HttpUrl, TypeAdapter, UrlConstraints
from ulid import ULID

from .base import Contract, UtcDateTime
from .bus import Empty, Route
from .pagination import Page, PageQuery
from .telemetry import ChargerState, CommandResult, LogTimestamp

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_TYPES",
    "EVENT_TYPE_HEADER",
    "NOTIFICATIONS_STREAM",
    "NOTIFICATIONS_SUBJECTS",
    "SIGNATURE_HEADER",
    "SUBSCRIPTION_VALIDATION_SLUG",
    "WEBHOOK_SUBSCRIPTIONS_CREATE",
    "WEBHOOK_SUBSCRIPTIONS_DELETE",
    "WEBHOOK_SUBSCRIPTIONS_GET",
    "WEBHOOK_SUBSCRIPTIONS_LIST",
    "WEBHOOK_SUBSCRIPTIONS_TEST",
    "ChargerStatus",
    "CommandConfirmed",
    "CommandFailed",
    "CreateWebhookSubscription",
    "EventType",
    "EvseCameOnline",
    "EvseDecommissionedEvent",
    "EvseErrorEvent",
    "EvseLinkBrokenEvent",
    "EvseLinkRestoredEvent",
    "EvseOnboardedEvent",
    "EvseStatusChanged",
    "EvseWentOffline",
    "ListWebhookSubscriptions",
    "NewWebhookSubscription",
    "NotificationEvent",
    "SubscriptionStatus",
    "WebhookBatch",
    "WebhookPing",
    "WebhookSubscription",
    "WebhookSubscriptionCreated",
    "WebhookSubscriptionRef",
    "WebhookTestResult",
    "application_filter",
    "event_id",
    "notification_subject",
    "parse_event",
    "user_filter",
]

NOTIFICATIONS_STREAM = "NOTIFICATIONS"
NOTIFICATIONS_SUBJECTS = "notifications.>"
SIGNATURE_HEADER = "X-EVSE-Signature"
EVENT_TYPE_HEADER = "Evse-Event-Type"
"""On `NOTIFICATIONS` messages: the event `type`, so consumers filter without parsing."""
DELIVERY_HEADER = "X-EVSE-Delivery"
_NO_USER = "_"

EventType = Literal[
    "evse.onboarded",
    "evse.decommissioned",
    "evse.status_changed",
    "evse.went_offline",
    "evse.came_online",
    "evse.command_confirmed",
    "evse.command_failed",
    "evse.error",
    "evse.link_broken",
    "evse.link_restored",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


def event_id(source_id: str, event_type: str, occurred_at: datetime) -> str:
    """A ULID whose time is the source's and whose randomness is a hash of the source message
    id and the event type: the same source always yields the same event id."""
    millis = int(occurred_at.timestamp() * 1000).to_bytes(6, "big")
    digest = hashlib.sha256(f"{source_id}|{event_type}".encode()).digest()[:10]
    return str(ULID.from_bytes(millis + digest))


def notification_subject(application_uid: str, user_uid: str | None, evse_uid: str) -> str:
    return f"notifications.{application_uid}.{user_uid or _NO_USER}.{evse_uid}"


def application_filter(application_uid: str) -> str:
    return f"notifications.{application_uid}.>"


def user_filter(application_uid: str, user_uid: str) -> str:
    return f"notifications.{application_uid}.{user_uid}.>"


class _Event(Contract):
    id: str = Field(description="ULID; the same event always has the same id: dedupe on it.")
    occurred_at: UtcDateTime
    application_uid: str
    user_uid: str | None
    evse_uid: str


class ChargerStatus(Contract):
    state: ChargerState
    plugged_in: bool
    online: bool


class EvseOnboardedEvent(_Event):
    type: Literal["evse.onboarded"] = "evse.onboarded"
    evse_id: int
    evse_model_uid: str
    provider: str | None
    serial_number: str


class EvseDecommissionedEvent(_Event):
    type: Literal["evse.decommissioned"] = "evse.decommissioned"
    evse_id: int


class _StatusEvent(_Event):
    status: ChargerStatus
    previous: ChargerStatus | None = Field(description="Null for the first status seen.")
    sampled_at: LogTimestamp
    power_w: float | None = None
    session_energy_wh: float | None = None


class EvseStatusChanged(_StatusEvent):
    type: Literal["evse.status_changed"] = "evse.status_changed"


class EvseWentOffline(_StatusEvent):
    type: Literal["evse.went_offline"] = "evse.went_offline"


class EvseCameOnline(_StatusEvent):
    type: Literal["evse.came_online"] = "evse.came_online"


class _CommandEvent(_Event):
    command_id: str
    command: str
    parameters: dict[str, str | int | float | bool | None] = {}
    result: CommandResult
    logged_at: LogTimestamp
    vendor_response_code: str | None = None
    detail: str | None = None


class CommandConfirmed(_CommandEvent):
    type: Literal["evse.command_confirmed"] = "evse.command_confirmed"


class CommandFailed(_CommandEvent):
    type: Literal["evse.command_failed"] = "evse.command_failed"


class EvseErrorEvent(_Event):
    type: Literal["evse.error"] = "evse.error"
    sampled_at: LogTimestamp
    provider: str
    error_code: str | None
    message: str
    retryable: bool


class EvseLinkBrokenEvent(_Event):
    """The user's vendor account stopped working for this EVSE: it is not polled until the
    user relinks through `reconnect_url` (`POST /v2/evses/{evse_id}/reconnect`)."""

    type: Literal["evse.link_broken"] = "evse.link_broken"
    provider: str
    vendor_account_uid: str
    reason: str = Field(
        description="credentials_rejected, charger_not_in_account or account_unlinked."
    )


class EvseLinkRestoredEvent(_Event):
    type: Literal["evse.link_restored"] = "evse.link_restored"
    provider: str
    vendor_account_uid: str


NotificationEvent = Annotated[
    EvseOnboardedEvent
    | EvseDecommissionedEvent
    | EvseStatusChanged
    | EvseWentOffline
    | EvseCameOnline
    | CommandConfirmed
    | CommandFailed
    | EvseErrorEvent
    | EvseLinkBrokenEvent
    | EvseLinkRestoredEvent,
    Field(discriminator="type"),
]
_EVENT = TypeAdapter[NotificationEvent](NotificationEvent)


def parse_event(data: bytes) -> NotificationEvent:
    return _EVENT.validate_json(data)


class WebhookPing(Contract):
    """What `POST /v2/webhooks/subscriptions/{id}/test` sends, alone in a batch."""

    id: str
    type: Literal["webhook.ping"] = "webhook.ping"
    occurred_at: UtcDateTime
    application_uid: str


class WebhookBatch(Contract):
    """The body of one webhook delivery: events in order per EVSE, oldest first."""

    subscription_id: str
    events: tuple[NotificationEvent | WebhookPing, ...]


class CreateWebhookSubscription(Contract):
    url: HttpUrl = Field(description="Where batches are POSTed; https outside development.")
    event_types: tuple[EventType, ...] = Field(min_length=1, max_length=len(EVENT_TYPES))
    description: str | None = Field(None, max_length=200)


class NewWebhookSubscription(CreateWebhookSubscription):
    """The HTTP body: the URL below `HttpUrl`'s own 2083 characters, since normalising it
    (a trailing `/`) lengthens it before the notifier validates it again."""

    url: Annotated[HttpUrl, UrlConstraints(max_length=2000)] = Field(
        description="Where batches are POSTed; https outside development."
    )

    def to_create(self) -> CreateWebhookSubscription:
        return CreateWebhookSubscription.model_validate(self.model_dump())


SUBSCRIPTION_VALIDATION_SLUG = "validation-failed-webhook-subscription"
"""A subscription's invalid input, whether the gateway or the notifier finds it."""
SubscriptionStatus = Literal["active", "disabled"]


class WebhookSubscription(Contract):
    id: str
    url: str
    event_types: tuple[EventType, ...]
    description: str | None
    status: SubscriptionStatus
    disabled_reason: str | None = Field(
        description="Why deliveries stopped (persistent failure); null while active."
    )
    failing_since: UtcDateTime | None = Field(
        description="When the current run of failed deliveries began; null when healthy."
    )
    created_at: UtcDateTime


class WebhookSubscriptionCreated(WebhookSubscription):
    secret: str = Field(description="Signing secret; shown only in this response.")


class WebhookSubscriptionRef(Contract):
    id: str = Field(min_length=1, max_length=64)


class ListWebhookSubscriptions(PageQuery):
    pass


class WebhookTestResult(Contract):
    delivered: bool
    status_code: int | None = Field(description="The receiver's HTTP status, if it answered.")
    error: str | None = None


WEBHOOK_SUBSCRIPTIONS_CREATE = Route(
    "notifier.webhook_subscriptions.create", CreateWebhookSubscription, WebhookSubscriptionCreated
)
WEBHOOK_SUBSCRIPTIONS_LIST = Route(
    "notifier.webhook_subscriptions.list", ListWebhookSubscriptions, Page[WebhookSubscription]
)
WEBHOOK_SUBSCRIPTIONS_GET = Route(
    "notifier.webhook_subscriptions.get", WebhookSubscriptionRef, WebhookSubscription
)
WEBHOOK_SUBSCRIPTIONS_DELETE = Route(
    "notifier.webhook_subscriptions.delete", WebhookSubscriptionRef, Empty
)
WEBHOOK_SUBSCRIPTIONS_TEST = Route(
    "notifier.webhook_subscriptions.test", WebhookSubscriptionRef, WebhookTestResult
)
