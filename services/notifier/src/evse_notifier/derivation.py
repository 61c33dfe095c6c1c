"""Derive client events from the bus: lifecycle events and telemetry logs, pure.

Every event id comes from the source message (`event_id`), so handling a redelivered source
again yields the same events with the same ids. A status sample yields events only when the
normalised state, the plug or the online flag differs from the previous sample's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evse_contracts.evses import EvseDecommissioned, EvseOnboarded
from evse_contracts.notifications import (
    ChargerStatus,
    CommandConfirmed,
    CommandFailed,
    EvseCameOnline,
    EvseDecommissionedEvent,
    EvseErrorEvent,
    EvseLinkBrokenEvent,
    EvseLinkRestoredEvent,
    EvseOnboardedEvent,
    EvseStatusChanged,
    EvseWentOffline,
    NotificationEvent,
    event_id,
)
from evse_contracts.telemetry import CommandLog, ErrorLog, StatusLog, message_id
from evse_contracts.vendor_accounts import EvseLinkBroken, EvseLinkRestored

__all__ = [
    "Audience",
    "LastStatus",
    "command_event",
    "decommissioned_event",
    "error_event",
    "link_event",
    "onboarded_event",
    "status_events",
    "status_of",
]


@dataclass(frozen=True)
class Audience:
    """Who an EVSE's events are for, from the registry's lifecycle events."""

    evse_uid: str
    evse_id: int
    application_uid: str
    user_uid: str | None
    decommissioned: bool = False


@dataclass(frozen=True)
class LastStatus:
    """The latest status sample of an EVSE, and the status it replaced."""

    status: ChargerStatus
    sampled_at: datetime
    previous: ChargerStatus | None


def onboarded_event(event: EvseOnboarded) -> EvseOnboardedEvent:
    source = f"onboarded:{event.evse_uid}"
    return EvseOnboardedEvent(
        id=event_id(source, "evse.onboarded", event.occurred_at),
        occurred_at=event.occurred_at,
        application_uid=event.application_uid,
        user_uid=event.user_uid,
        evse_uid=event.evse_uid,
        evse_id=event.evse_id,
        evse_model_uid=event.evse_model_uid,
        provider=event.provider,
        serial_number=event.serial_number,
    )


def decommissioned_event(
    event: EvseDecommissioned, user_uid: str | None
) -> EvseDecommissionedEvent:
    source = f"decommissioned:{event.evse_uid}"
    return EvseDecommissionedEvent(
        id=event_id(source, "evse.decommissioned", event.occurred_at),
        occurred_at=event.occurred_at,
        application_uid=event.application_uid,
        user_uid=user_uid,
        evse_uid=event.evse_uid,
        evse_id=event.evse_id,
    )


def link_event(
    event: EvseLinkBroken | EvseLinkRestored,
) -> EvseLinkBrokenEvent | EvseLinkRestoredEvent:
    """`evse.link_broken` / `evse.link_restored` from the bridge's link health events."""
    common: dict[str, Any] = {
        "occurred_at": event.occurred_at,
        "application_uid": event.application_uid,
        "user_uid": event.user_uid,
        "evse_uid": event.evse_uid,
        "provider": event.provider,
        "vendor_account_uid": event.vendor_account_uid,
    }
    at = event.occurred_at.isoformat()
    if isinstance(event, EvseLinkBroken):
        source = f"link_broken:{event.evse_uid}:{at}"
        return EvseLinkBrokenEvent(
            id=event_id(source, "evse.link_broken", event.occurred_at),
            reason=event.reason,
            **common,
        )
    source = f"link_restored:{event.evse_uid}:{at}"
    return EvseLinkRestoredEvent(
        id=event_id(source, "evse.link_restored", event.occurred_at), **common
    )


def status_of(sample: StatusLog) -> ChargerStatus:
    return ChargerStatus(state=sample.state, plugged_in=sample.plugged_in, online=sample.online)


def status_events(
    sample: StatusLog, previous: ChargerStatus | None, audience: Audience
) -> list[NotificationEvent]:
    """`evse.status_changed` when the status differs (or is the first one), and
    `evse.went_offline` / `evse.came_online` when the online flag flips."""
    current = status_of(sample)
    if current == previous:
        return []
    source = message_id(sample)
    common: dict[str, Any] = {
        "occurred_at": sample.sampled_at,
        "application_uid": audience.application_uid,
        "user_uid": audience.user_uid,
        "evse_uid": sample.evse_uid,
        "status": current,
        "previous": previous,
        "sampled_at": sample.sampled_at,
        "power_w": sample.power_w,
        "session_energy_wh": sample.session_energy_wh,
    }
    events: list[NotificationEvent] = [
        EvseStatusChanged(id=event_id(source, "evse.status_changed", sample.sampled_at), **common)
    ]
    if previous is not None and previous.online and not current.online:
        events.append(
            EvseWentOffline(id=event_id(source, "evse.went_offline", sample.sampled_at), **common)
        )
    elif previous is not None and not previous.online and current.online:
        events.append(
            EvseCameOnline(id=event_id(source, "evse.came_online", sample.sampled_at), **common)
        )
    return events


def command_event(log: CommandLog, audience: Audience) -> NotificationEvent | None:
    """A settled command: confirmed, or failed (failed and timed out); pending is no event."""
    if log.result == "pending":
        return None
    model = CommandConfirmed if log.result == "confirmed" else CommandFailed
    event_type = "evse.command_confirmed" if log.result == "confirmed" else "evse.command_failed"
    return model(
        id=event_id(message_id(log), event_type, log.logged_at),
        occurred_at=log.logged_at,
        application_uid=audience.application_uid,
        user_uid=audience.user_uid,
        evse_uid=log.evse_uid,
        command_id=log.command_id,
        command=log.command,
        parameters=log.parameters,
        result=log.result,
        logged_at=log.logged_at,
        vendor_response_code=log.vendor_response_code,
        detail=log.detail,
    )


def error_event(log: ErrorLog, audience: Audience) -> EvseErrorEvent:
    return EvseErrorEvent(
        id=event_id(message_id(log), "evse.error", log.sampled_at),
        occurred_at=log.sampled_at,
        application_uid=audience.application_uid,
        user_uid=audience.user_uid,
        evse_uid=log.evse_uid,
        sampled_at=log.sampled_at,
        provider=log.provider,
        error_code=log.error_code,
        message=log.message,
        retryable=log.retryable,
    )
