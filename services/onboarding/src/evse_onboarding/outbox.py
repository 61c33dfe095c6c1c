"""Publish the lifecycle events the registry wrote into its outbox, at least once.

The event is written in the same document write as the change it announces, so once that
write is done the event cannot be lost: `flush_soon` publishes it beside the caller's answer
(an import or a decommission does not wait on JetStream and the outbox clear, two of its
round trips), and the relay publishes whatever a crash or an outage left behind.
"""

from __future__ import annotations

import asyncio

import structlog
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from pydantic import BaseModel

from evse_runtime.pauses import pause
from evse_runtime.responders import InFlight

from .evse_record import EvseRecord
from .registry_store import RegistryStore

__all__ = ["EventOutbox", "outbox_entry"]

log = structlog.get_logger("evse.onboarding.outbox")
_IN_HAND = 256
"""Background flushes at once; beyond, the caller waits for a slot (back-pressure)."""


def outbox_entry(event_id: str, subject: str, event: BaseModel) -> dict[str, str]:
    """What goes into an EVSE's `outbox` in the same write as the change it announces."""
    return {"id": event_id, "subject": subject, "payload": event.model_dump_json()}


class EventOutbox:
    def __init__(self, js: JetStreamContext, store: RegistryStore) -> None:
        self._js = js
        self._store = store
        self._flushing = InFlight(_IN_HAND)

    async def flush_soon(self, record: EvseRecord) -> None:
        """`flush` in the background; `settle` waits for what is still in hand."""
        await self._flushing.start(self._flush_or_leave(record))

    async def settle(self, timeout_s: float) -> None:
        """Let the background flushes finish (on shutdown); the relay has what they do not."""
        await self._flushing.wait(timeout_s)

    async def _flush_or_leave(self, record: EvseRecord) -> None:
        try:
            await self.flush(record)
        except Exception as exc:  # the answer is given: the relay publishes what is left
            log.warning("event left for the relay", error=repr(exc))

    async def flush(self, record: EvseRecord) -> None:
        """Publish the record's pending events now; what fails stays for the relay."""
        for entry in record.outbox:
            try:
                await self._js.publish(
                    entry["subject"],
                    entry["payload"].encode(),
                    headers={"Nats-Msg-Id": entry["id"]},
                )
            except NatsError as exc:
                log.warning("event not published yet", event_id=entry["id"], error=str(exc))
                return
            await self._store.clear_event(record.uid, entry["id"])

    async def relay(self, stopping: asyncio.Event, interval_s: float) -> None:
        """Until `stopping`: publish whatever a crash or an outage left in the outbox."""
        while not stopping.is_set():
            for record in await self._store.with_pending_events(limit=100):
                await self.flush(record)
            await pause(stopping, interval_s)
