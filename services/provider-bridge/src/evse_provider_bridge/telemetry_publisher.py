"""Publish telemetry events to the `TELEMETRY` stream, deduplicated by `Nats-Msg-Id`."""

from __future__ import annotations

from nats.js import JetStreamContext

from evse_contracts.telemetry import TelemetryEvent, publish_event

__all__ = ["TelemetryPublisher"]


class TelemetryPublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(self, event: TelemetryEvent) -> None:
        await publish_event(self._js, event)
