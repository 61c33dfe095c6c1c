"""Who may publish and subscribe to what on the bus: one NATS user per service.

The threat (security review M1): anyone who reaches NATS could send a request with a forged
caller header and read a tenant's EVSE, or ask the bridge for a charger's OCPP password. So
every service connects as its own user, and the server lets each publish only what it sends
and subscribe only to what it answers:

- only the gateway sends the API's requests (the ones carrying a caller's identity), except
  that the smart-charging service asks the registry for an EVSE as the caller it serves;
  only onboarding may ask the bridge for OCPP credentials; onboarding (for the API) and the
  smart-charging service (for sites and plans) may ask it to send a command;
- replies go back on the asker's own inbox prefix (`_INBOX_<user>`), which no other user may
  subscribe to, so replies (tokens, credentials) cannot be read by another service;
- a responder answers through `allow_responses`, never by publishing to inboxes at large;
- a stream's subjects are published only by its producers (TELEMETRY by the bridge, EVSE
  events by onboarding and the bridge, NOTIFICATIONS by the notifier, WEBHOOKS by the gateway
  (verified HTTP pushes) and the bridge (the vendor streams it holds, only its vendors' subjects);
- every service uses the JetStream API for its own streams and consumers, but none may
  delete or purge a stream: that stays with the operator.

What this does not cover: a stolen service password is that service's power (rotate it with
its Kubernetes Secret); within its permissions a service is trusted. TLS between services and
NATS is in the deploy files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import (
    bridge,
    catalogue,
    evses,
    notifications,
    telemetry,
    vendor_accounts,
)
from .bus import Route
from .subjects import (
    BRIDGE_INTERNAL_ROUTES,
    CATALOGUE_ROUTES,
    HEALTH_SUBJECTS,
    NOTIFIER_ROUTES,
    ONBOARDING_ROUTES,
    SMART_CHARGING_ROUTES,
    TELEMETRY_ROUTES,
    VENDOR_ACCOUNT_ROUTES,
)

__all__ = ["GATEWAY", "SERVICE_PERMISSIONS", "Permissions", "inbox_prefix"]

GATEWAY = "gateway"


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    answers_requests: bool = True
    deny_publish: tuple[str, ...] = field(
        default=("$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>")
    )


def inbox_prefix(user: str) -> str:
    """Where `user`'s replies arrive; only it may subscribe there."""
    return f"_INBOX_{user}"


def _subjects(*groups: Iterable[Route[Any, Any]]) -> list[str]:
    return [route.subject for group in groups for route in group]


_JETSTREAM = ["$JS.API.>", "$JS.ACK.>", "$JS.FC.>"]


def _service(
    user: str, *, publish: list[str], subscribe: list[str], consumes: bool = True
) -> Permissions:
    """A bus service: its own health subjects, JetStream, dead letters if it consumes."""
    health = HEALTH_SUBJECTS[user]
    own_health = [health, f"{health}.*"]
    return Permissions(
        publish=(*publish, *own_health, *_JETSTREAM, *(["deadletter.>"] if consumes else [])),
        subscribe=(*subscribe, *own_health, f"{inbox_prefix(user)}.>"),
    )


SERVICE_PERMISSIONS: Mapping[str, Permissions] = {
    GATEWAY: Permissions(
        publish=(
            *_subjects(
                CATALOGUE_ROUTES,
                ONBOARDING_ROUTES,
                VENDOR_ACCOUNT_ROUTES,
                TELEMETRY_ROUTES,
                NOTIFIER_ROUTES,
                SMART_CHARGING_ROUTES,
            ),
            *HEALTH_SUBJECTS.values(),
            *(f"{subject}.*" for subject in HEALTH_SUBJECTS.values()),
            bridge.webhook_subject(">"),
            "$KV.>",  # the rate-limit bucket (its name is a setting)
            *_JETSTREAM,
        ),
        subscribe=(catalogue.CATALOGUE_RELOADED, f"{inbox_prefix(GATEWAY)}.>"),
        answers_requests=False,
    ),
    "catalogue": _service(
        "catalogue",
        publish=[catalogue.CATALOGUE_CHANGED, catalogue.CATALOGUE_RELOADED],
        subscribe=[*_subjects(CATALOGUE_ROUTES), catalogue.CATALOGUE_CHANGED],
        consumes=False,
    ),
    # Asks the registry, as the caller, for an EVSE its projection has not seen yet.
    "telemetry": _service(
        "telemetry",
        publish=[catalogue.EVSE_FIRMWARE_VERSIONS_LIST.subject, evses.EVSES_GET.subject],
        subscribe=_subjects(TELEMETRY_ROUTES),
    ),
    "onboarding": _service(
        "onboarding",
        publish=[
            evses.EVSE_EVENTS_SUBJECTS,
            *_subjects(CATALOGUE_ROUTES, BRIDGE_INTERNAL_ROUTES),
            vendor_accounts.VENDOR_ACCOUNTS_LIST.subject,
        ],
        subscribe=_subjects(ONBOARDING_ROUTES),
    ),
    "provider-bridge": _service(
        "provider-bridge",
        publish=[
            telemetry.TELEMETRY_SUBJECTS,
            vendor_accounts.EVSE_LINK_BROKEN,
            vendor_accounts.EVSE_LINK_RESTORED,
            bridge.ocpp_call_subject("*"),
            bridge.ocpp_takeover_subject("*"),
            f"$KV.{bridge.VENDOR_BUDGETS_BUCKET}.>",
            *(bridge.webhook_subject(provider) for provider in bridge.STREAMED_PROVIDERS),
            bridge.BRIDGE_STREAMS_CHANGED,
        ],
        subscribe=[
            *_subjects(BRIDGE_INTERNAL_ROUTES, VENDOR_ACCOUNT_ROUTES),
            bridge.BRIDGE_STREAMS_CHANGED,
            bridge.ocpp_call_subject("*"),
            bridge.ocpp_takeover_subject("*"),
        ],
    ),
    "notifier": _service(
        "notifier",
        publish=[notifications.NOTIFICATIONS_SUBJECTS],
        subscribe=_subjects(NOTIFIER_ROUTES),
    ),
    # Asks the registry for an EVSE as the caller it serves, so tenancy holds (`evses.get`).
    "smart-charging-service": _service(
        "smart-charging-service",
        publish=[
            evses.EVSES_GET.subject,
            bridge.BRIDGE_COMMANDS_SEND.subject,
            bridge.BRIDGE_OCPP_CONFIGURATION_GET.subject,
        ],
        subscribe=_subjects(SMART_CHARGING_ROUTES),
    ),
}
"""Each service's NATS user (named as the service) and what it may do."""
