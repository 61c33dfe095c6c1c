"""Publish the lifecycle events the registry wrote into its outbox, at least once."""

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
