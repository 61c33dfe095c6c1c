"""Publish telemetry events to the `TELEMETRY` stream, deduplicated by `Nats-Msg-Id`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from nats.js import JetStreamContext
from nats.js.api import PubAck

from evse_contracts.telemetry import (
    TELEMETRY_STREAM,
    TelemetryEvent,
    event_message,
    publish_event,
)

__all__ = ["TelemetryPublisher"]

_ACK_TIMEOUT_S = 5.0
"""How long a batch waits for the stream's acks (nats-py's own default for a publish)."""


class TelemetryPublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(self, event: TelemetryEvent) -> None:
        await publish_event(self._js, event)

    async def publish_all(self, events: Sequence[TelemetryEvent]) -> list[BaseException | None]:
        """Publish the events in order, then wait for all their acks: what failed, per event.

        One future per event on the context's shared reply subscription, instead of a task
        and a request each: the ocpp log path publishes two or three events per frame.
        """
        acks: list[asyncio.Future[PubAck] | BaseException] = []
        for event in events:
            subject, payload, headers = event_message(event)
            try:
                acks.append(
                    await self._js.publish_async(
                        subject, payload, stream=TELEMETRY_STREAM, headers=headers
                    )
                )
            except Exception as exc:  # not written to the connection: report, go on
                acks.append(exc)
        pending = [ack for ack in acks if isinstance(ack, asyncio.Future)]
        if pending:
            _, late = await asyncio.wait(pending, timeout=_ACK_TIMEOUT_S)
            for ack in late:
                ack.cancel()
        return [_failure(ack) for ack in acks]


def _failure(ack: asyncio.Future[PubAck] | BaseException) -> BaseException | None:
    if isinstance(ack, BaseException):
        return ack
    if ack.cancelled():
        return TimeoutError(f"no ack from the stream within {_ACK_TIMEOUT_S} s")
    return ack.exception()
