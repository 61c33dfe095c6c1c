"""Publish telemetry events to the `TELEMETRY` stream, deduplicated by `Nats-Msg-Id`.

The one place that knows how an event is published: swap for telemetry's `publish_event`
helper once it lands.
"""

from __future__ import annotations

from nats.js import JetStreamContext

from evse_contracts.telemetry import TelemetryEvent, event_subject, message_id

__all__ = ["TelemetryPublisher"]


class TelemetryPublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(self, event: TelemetryEvent) -> None:
        await self._js.publish(
            event_subject(event),
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": message_id(event)},
        )
