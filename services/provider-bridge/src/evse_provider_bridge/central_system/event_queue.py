"""Publish telemetry events off the socket loop: bounded, in order, with a bounded wait.

A socket puts its events here and goes back to its charger; one task publishes them in
batches, each batch's publishes in flight together (written to the wire in queue order, so
the stream keeps the sockets' order; acks awaited together, no task per event). The first
event of a batch lingers `linger_s` for others: each batch costs a socket write to NATS, and
on this machine that write, not the publish itself, was a third of the bridge's CPU. When
JetStream is slow the queue fills and a socket waits for room at most `wait_s`, then drops
the event and says so.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from ..telemetry_publisher import EncodedEvent, TelemetryPublisher

__all__ = ["EventQueue"]

log = structlog.get_logger("evse.bridge.ocpp")
_BATCH = 256


class EventQueue:
    def __init__(
        self, publisher: TelemetryPublisher, *, size: int, wait_s: float, linger_s: float
    ) -> None:
        self._publisher = publisher
        self._queue: asyncio.Queue[EncodedEvent] = asyncio.Queue(size)
        self._wait_s = wait_s
        self._linger_s = linger_s
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    async def put(self, event: EncodedEvent) -> None:
        try:
            self._queue.put_nowait(event)
            return
        except asyncio.QueueFull:
            pass
        try:
            await asyncio.wait_for(self._queue.put(event), self._wait_s)
        except TimeoutError:
            self.dropped += 1
            log.warning("telemetry event dropped", kind=event.kind, evse_uid=event.evse_uid)

    def start(self) -> None:
        self._task = asyncio.create_task(self._publish_forever())

    async def close(self, timeout_s: float) -> None:
        """Publish what is queued (within `timeout_s`), then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout_s)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _publish_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            if self._linger_s and self._queue.qsize() < _BATCH:
                await asyncio.sleep(self._linger_s)
            while len(batch) < _BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            results = await self._publisher.publish_all(batch)
            for event, result in zip(batch, results, strict=True):
                if result is not None:
                    log.error(
                        "telemetry publish failed",
                        kind=event.kind,
                        evse_uid=event.evse_uid,
                        error=repr(result),
                    )
                self._queue.task_done()
