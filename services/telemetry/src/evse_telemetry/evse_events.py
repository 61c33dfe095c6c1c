"""Keep the `evse_access` projection from the registry's lifecycle events (`EVSE_EVENTS`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError, PyMongoError

from evse_contracts.evses import (
    EVSE_DECOMMISSIONED,
    EVSE_EVENTS_STREAM,
    EVSE_ONBOARDED,
    EVSE_RECONNECTED,
    EvseDecommissioned,
    EvseOnboarded,
    EvseReconnected,
)
from evse_runtime.backoff import Backoff
from evse_runtime.consumers import dead_letter
from evse_runtime.pauses import pause

from .store import TelemetryStore

__all__ = ["EvseEventsProjector"]

log = structlog.get_logger("evse.telemetry")


@dataclass
class EvseEventsProjector:
    js: JetStreamContext
    store: TelemetryStore
    stopping: asyncio.Event
    retry: Backoff

    async def handle(self, msgs: Sequence[Msg]) -> None:
        """Apply each event in order, acking it once recorded.

        A store error is retried with backoff, the unacked messages kept in progress so
        they are neither redelivered nor counted against `max_deliver`; on shutdown the
        rest are nak'ed. An event that can never apply (invalid, or a legacy id another
        EVSE holds) is dead-lettered, so it cannot block the ones behind it.
        """
        failures = 0
        for index, msg in enumerate(msgs):
            while True:
                try:
                    await self._apply(msg)
                except ValidationError as exc:
                    reason = f"invalid EVSE event: {exc.errors(include_url=False)[:3]}"
                    await dead_letter(self.js, EVSE_EVENTS_STREAM, msg, reason)
                    break
                except DuplicateKeyError as exc:
                    # Another EVSE holds this legacy id: retrying cannot help, and waiting
                    # would stall every later event behind this one.
                    reason = f"conflicts with a recorded EVSE: {exc.details}"
                    await dead_letter(self.js, EVSE_EVENTS_STREAM, msg, reason)
                    break
                except PyMongoError as exc:
                    log.warning("store write failed", subject=msg.subject, error=str(exc))
                    if self.stopping.is_set():
                        await asyncio.gather(*(m.nak() for m in msgs[index:]))
                        return
                    await asyncio.gather(*(m.in_progress() for m in msgs[index:]))
                    failures += 1
                    await pause(self.stopping, self.retry.delay(failures))
                    continue
                await msg.ack()
                break

    async def _apply(self, msg: Msg) -> None:
        if msg.subject == EVSE_ONBOARDED:
            await self.store.record_onboarded(EvseOnboarded.model_validate_json(msg.data))
        elif msg.subject == EVSE_RECONNECTED:
            await self.store.record_reconnected(EvseReconnected.model_validate_json(msg.data))
        elif msg.subject == EVSE_DECOMMISSIONED:
            await self.store.record_decommissioned(EvseDecommissioned.model_validate_json(msg.data))
