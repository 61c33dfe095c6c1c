"""Keep the `evse_access` projection from the registry's lifecycle events (`EVSE_EVENTS`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from evse_contracts.evses import (
    EVSE_DECOMMISSIONED,
    EVSE_EVENTS_STREAM,
    EVSE_ONBOARDED,
    EVSE_RECONNECTED,
    EvseDecommissioned,
    EvseOnboarded,
    EvseReconnected,
)

from .jetstream import dead_letter
from .store import TelemetryStore

__all__ = ["EvseEventsProjector"]


@dataclass
class EvseEventsProjector:
    js: JetStreamContext
    store: TelemetryStore

    async def handle(self, msgs: Sequence[Msg]) -> None:
        """Apply each event in order, acking it once recorded; a store error leaves the rest."""
        for msg in msgs:
            try:
                await self._apply(msg)
            except ValidationError as exc:
                await dead_letter(
                    self.js,
                    EVSE_EVENTS_STREAM,
                    msg,
                    f"invalid EVSE event: {exc.errors(include_url=False)[:3]}",
                )
                continue
            await msg.ack()

    async def _apply(self, msg: Msg) -> None:
        if msg.subject == EVSE_ONBOARDED:
            await self.store.record_onboarded(EvseOnboarded.model_validate_json(msg.data))
        elif msg.subject == EVSE_RECONNECTED:
            await self.store.record_reconnected(EvseReconnected.model_validate_json(msg.data))
        elif msg.subject == EVSE_DECOMMISSIONED:
            await self.store.record_decommissioned(EvseDecommissioned.model_validate_json(msg.data))
