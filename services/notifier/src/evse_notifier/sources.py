"""Turn the bus into client events: lifecycle events and telemetry in, `NOTIFICATIONS` out.

Each source message is handled to completion before it is acked, and handling it again
(redelivery after a crash) publishes the same events with the same ids, which JetStream
drops within its duplicate window (`Nats-Msg-Id` = event id) and clients dedupe after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from evse_contracts.evses import (
    EVSE_DECOMMISSIONED,
    EVSE_ONBOARDED,
    EVSE_RECONNECTED,
    EvseDecommissioned,
    EvseOnboarded,
    EvseReconnected,
)
from evse_contracts.notifications import (
    EVENT_TYPE_HEADER,
    NotificationEvent,
    notification_subject,
)
from evse_contracts.telemetry import MSG_ID_HEADER, CommandLog, ErrorLog, StatusLog
from evse_contracts.vendor_accounts import (
    EVSE_LINK_BROKEN,
    EVSE_LINK_RESTORED,
    EvseLinkBroken,
    EvseLinkRestored,
)
from evse_runtime.consumers import Poison

from .audiences import AudienceCache
from .derivation import (
    Audience,
    command_event,
    decommissioned_event,
    error_event,
    link_event,
    onboarded_event,
    status_events,
)
from .statuses import StatusBook
from .store import NotifierStore

__all__ = [
    "EvseEventsSource",
    "TelemetrySource",
    "evse_of_subject",
    "one_group",
    "publish_events",
]

log = structlog.get_logger("evse.notifier")
_OWNER_POLL_S = 0.1


async def publish_events(js: JetStreamContext, events: Sequence[NotificationEvent]) -> None:
    """Publish in order, each awaited, so the stream keeps the per-EVSE order."""
    for event in events:
        subject = notification_subject(event.application_uid, event.user_uid, event.evse_uid)
        payload = event.__pydantic_serializer__.to_json(event)
        headers = {MSG_ID_HEADER: event.id, EVENT_TYPE_HEADER: event.type}
        await js.publish(subject, payload, headers=headers)


def evse_of_subject(msg: Msg) -> str:
    """Telemetry subjects end with the EVSE uid."""
    return msg.subject.rsplit(".", 1)[-1]


def one_group(_: Msg) -> str:
    """Lifecycle subjects name no EVSE: their events stay in one sequence."""
    return ""


@dataclass
class EvseEventsSource:
    js: JetStreamContext
    store: NotifierStore
    audiences: AudienceCache

    async def handle(self, msg: Msg) -> None:
        try:
            if msg.subject == EVSE_ONBOARDED:
                onboarded = EvseOnboarded.model_validate_json(msg.data)
                await self.store.record_onboarded(onboarded)
                self.audiences.forget(onboarded.evse_uid)
                await publish_events(self.js, [onboarded_event(onboarded)])
            elif msg.subject == EVSE_RECONNECTED:
                reconnected = EvseReconnected.model_validate_json(msg.data)
                await self.store.record_reconnected(reconnected)
                self.audiences.forget(reconnected.evse_uid)
            elif msg.subject == EVSE_DECOMMISSIONED:
                await self._decommissioned(EvseDecommissioned.model_validate_json(msg.data))
            elif msg.subject == EVSE_LINK_BROKEN:
                broken = EvseLinkBroken.model_validate_json(msg.data)
                await publish_events(self.js, [link_event(broken)])
            elif msg.subject == EVSE_LINK_RESTORED:
                restored = EvseLinkRestored.model_validate_json(msg.data)
                await publish_events(self.js, [link_event(restored)])
        except ValidationError as exc:
            raise Poison(f"invalid EVSE event: {exc.errors(include_url=False)[:3]}") from exc

    async def _decommissioned(self, event: EvseDecommissioned) -> None:
        """Recorded before it is announced, as onboarding is: a client that hears of it and
        acts must not then get a status event of the EVSE (a redelivery announces it again,
        under the same id, the owner being kept on the record)."""
        audience = await self.audiences.audience(event.evse_uid)
        user_uid = None if audience is None else audience.user_uid
        await self.store.record_decommissioned(event.evse_uid)
        self.audiences.forget(event.evse_uid)
        await publish_events(self.js, [decommissioned_event(event, user_uid)])


@dataclass
class TelemetrySource:
    """Telemetry → client events, for EVSEs whose owner the lifecycle source has recorded.

    The two sources are separate consumers, so a charger's first samples can come before its
    `evses.events.onboarded` is recorded (an OCPP charger boots the moment it is set up). An
    EVSE with no owner yet is waited for, up to `unknown_evse_wait_s`, holding its messages in
    order, instead of its events being dropped.
    """

    js: JetStreamContext
    statuses: StatusBook
    audiences: AudienceCache
    unknown_evse_wait_s: float

    async def handle(self, msg: Msg) -> None:
        kind = msg.subject.split(".")[2]
        try:
            if kind == "status":
                await self._status(StatusLog.model_validate_json(msg.data))
            elif kind == "command":
                await self._command(CommandLog.model_validate_json(msg.data))
            elif kind == "error":
                await self._error(ErrorLog.model_validate_json(msg.data))
        except ValidationError as exc:
            raise Poison(f"invalid {kind} event: {exc.errors(include_url=False)[:3]}") from exc

    async def _audience(self, evse_uid: str) -> Audience | None:
        """The EVSE's owner; None for a decommissioned EVSE or one never announced."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.unknown_evse_wait_s
        while (audience := await self.audiences.audience(evse_uid)) is None:
            self.audiences.forget(evse_uid)  # not a fact to keep: it may be announced now
            if loop.time() >= deadline:
                log.warning("no owner recorded for the EVSE; its event is dropped", evse=evse_uid)
                return None
            await asyncio.sleep(_OWNER_POLL_S)
        return None if audience.decommissioned else audience

    async def _status(self, sample: StatusLog) -> None:
        """Record the sample, then publish what changed (again, when redelivered)."""
        audience = await self._audience(sample.evse_uid)
        if audience is None:
            return
        change = await self.statuses.record(sample)
        if change is not None:
            await publish_events(self.js, status_events(sample, change.previous, audience))

    async def _command(self, command: CommandLog) -> None:
        audience = await self._audience(command.evse_uid)
        event = None if audience is None else command_event(command, audience)
        if event is not None:
            await publish_events(self.js, [event])

    async def _error(self, error: ErrorLog) -> None:
        audience = await self._audience(error.evse_uid)
        if audience is not None:
            await publish_events(self.js, [error_event(error, audience)])
