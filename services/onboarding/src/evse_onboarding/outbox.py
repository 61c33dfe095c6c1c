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

from .evse_record import EvseRecord
from .registry_store import RegistryStore

__all__ = ["EventOutbox", "outbox_entry"]

log = structlog.get_logger("evse.onboarding.outbox")


def outbox_entry(event_id: str, subject: str, event: BaseModel) -> dict[str, str]:
    """What goes into an EVSE's `outbox` in the same write as the change it announces."""
    return {"id": event_id, "subject": subject, "payload": event.model_dump_json()}


class EventOutbox:
    def __init__(self, js: JetStreamContext, store: RegistryStore) -> None:
        self._js = js
        self._store = store
        self._flushing: set[asyncio.Task[None]] = set()

    def flush_soon(self, record: EvseRecord) -> None:
        """`flush` in the background; `settle` waits for what is still in hand."""
        task = asyncio.create_task(self.flush(record))
        self._flushing.add(task)
        task.add_done_callback(self._flushed)

    async def settle(self, timeout_s: float) -> None:
        """Let the background flushes finish (on shutdown); the relay has what they do not."""
        if self._flushing:
            await asyncio.wait(set(self._flushing), timeout=timeout_s)

    def _flushed(self, task: asyncio.Task[None]) -> None:
        self._flushing.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.warning("event left for the relay", error=repr(error))

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
