"""The JetStream streams the bridge publishes to or consumes, declared at start."""

from __future__ import annotations

from nats.js import JetStreamContext

from evse_runtime.streams import EVSE_EVENTS, TELEMETRY, WEBHOOKS, ensure_stream

__all__ = ["ensure_bridge_streams"]


async def ensure_bridge_streams(js: JetStreamContext, *, replicas: int) -> None:
    for config in (TELEMETRY, EVSE_EVENTS, WEBHOOKS):
        await ensure_stream(js, config, replicas=replicas)
