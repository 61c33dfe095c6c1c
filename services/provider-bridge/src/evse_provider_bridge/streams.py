"""The JetStream streams the bridge publishes to or consumes, declared at start."""

from __future__ import annotations

from nats.js import JetStreamContext

from evse_contracts.bridge import WEBHOOKS_STREAM
from evse_contracts.evses import EVSE_EVENTS_STREAM
from evse_contracts.telemetry import TELEMETRY_STREAM
from evse_runtime.streams import ensure_stream

__all__ = ["ensure_bridge_streams"]


async def ensure_bridge_streams(js: JetStreamContext) -> None:
    await ensure_stream(js, TELEMETRY_STREAM, ["telemetry.events.>"])
    await ensure_stream(js, EVSE_EVENTS_STREAM, ["evses.events.>"])
    await ensure_stream(js, WEBHOOKS_STREAM, ["webhooks.>"])
