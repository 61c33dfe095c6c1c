"""Webhook subscriptions: what one is, how it is created and shown, pure."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from evse_contracts.auth import Principal
from evse_contracts.ids import new_uid
from evse_contracts.notifications import (
    CreateWebhookSubscription,
    EventType,
    SubscriptionStatus,
    WebhookSubscription,
    WebhookSubscriptionCreated,
)

from .destinations import why_not_public
from .errors import ApplicationTokenRequired, InvalidWebhookUrl

__all__ = [
    "Subscription",
    "application_consumer",
    "consumer_name",
    "created_view",
    "ensure_public_destination",
    "new_subscription",
    "owning_application",
    "public_view",
]


@dataclass(frozen=True)
class Subscription:
    id: str
    application_uid: str
    url: str
    secret: str
    event_types: tuple[EventType, ...]
    description: str | None
    created_at: datetime
    status: SubscriptionStatus = "active"
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    delivered_seq: int = 0
    """`NOTIFICATIONS` sequence up to which every event it wants was taken by the receiver."""
    replaying: bool = True
    """Behind its application's consumer: it reads from the stream after `delivered_seq`."""

    def wants(self, event_type: str) -> bool:
        return event_type in self.event_types


def application_consumer(application_uid: str) -> str:
    """The durable JetStream consumer whose events are fanned out to the application's
    subscriptions."""
    return f"webhooks-{application_uid}"


def consumer_name(subscription_id: str) -> str:
    """The per-subscription durable consumer of earlier versions, deleted on start."""
    return f"webhook-{subscription_id}"


def owning_application(principal: Principal) -> str:
    """Subscriptions belong to applications; a user token may not manage them."""
    if principal.kind != "application":
        raise ApplicationTokenRequired(
            "webhook subscriptions are managed with an application token"
        )
    return principal.application_uid


def new_subscription(
    request: CreateWebhookSubscription,
    *,
    application_uid: str,
    allow_http: bool,
    now: datetime,
    stream_last_seq: int,
) -> Subscription:
    """A new active subscription with a fresh secret; https only unless `allow_http`. It
    takes the events after `stream_last_seq`, reading them from the stream until it has
    caught up with its application's consumer."""
    url = request.url
    if url.scheme != "https" and not (allow_http and url.scheme == "http"):
        raise InvalidWebhookUrl(f"must be an https URL, not {url.scheme}")
    if url.username or url.password:
        raise InvalidWebhookUrl("must not carry credentials; verify the signature instead")
    return Subscription(
        id=new_uid("whsub"),
        application_uid=application_uid,
        url=str(url),
        secret=f"whsec_{secrets.token_urlsafe(32)}",
        event_types=tuple(dict.fromkeys(request.event_types)),
        description=request.description,
        created_at=now,
        delivered_seq=stream_last_seq,
    )


async def ensure_public_destination(host: str) -> None:
    """Refuse a webhook host that is, or resolves to, a non-public address."""
    if (reason := await why_not_public(host)) is not None:
        raise InvalidWebhookUrl(reason)


def public_view(subscription: Subscription) -> WebhookSubscription:
    return WebhookSubscription(
        id=subscription.id,
        url=subscription.url,
        event_types=subscription.event_types,
        description=subscription.description,
        status=subscription.status,
        disabled_reason=subscription.disabled_reason,
        failing_since=subscription.failing_since,
        created_at=subscription.created_at,
    )


def created_view(subscription: Subscription) -> WebhookSubscriptionCreated:
    return WebhookSubscriptionCreated(
        **public_view(subscription).model_dump(), secret=subscription.secret
    )
