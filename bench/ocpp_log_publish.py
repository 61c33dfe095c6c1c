"""CPU per event of publishing the bridge's OCPP logs to JetStream, against nats-py's own way.

The bridge's `TelemetryPublisher.publish_all` (a JetStream fast-ingest batch per call: one
ack per batch) against the same events published with nats-py's `publish_async` and their
acks awaited together (what the bridge did before session 8), in one process on uvloop, as
the bridge runs, against one nats-server. Batches of 64 (what the log queue hands over under
load), best of 3; each run's events are new to the stream (no duplicate `Nats-Msg-Id`).

    uv run --frozen python bench/ocpp_log_publish.py
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import uvloop
from _common import write_result
from nats.js import JetStreamContext

from evse_contracts.telemetry import TELEMETRY_STREAM, OcppLog, TelemetryEvent, event_message
from evse_devstack.backends import NatsServer
from evse_provider_bridge.streams import ensure_bridge_streams
from evse_provider_bridge.telemetry_publisher import TelemetryPublisher

EVENTS, BATCH = 20_000, 64
RUNS = itertools.count()
Publish = Callable[[Sequence[TelemetryEvent]], Awaitable[object]]


def ocpp_logs(count: int, run: int) -> list[TelemetryEvent]:
    """Logs `run` hours apart from another run's: no `Nats-Msg-Id` repeats a stored one."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=run)
    return [
        OcppLog(
            evse_uid=f"evse-{i % 1000}",
            sampled_at=start + timedelta(milliseconds=i),
            direction="inbound",
            message_type_id=2,
            unique_id=f"m-{i}",
            action="MeterValues",
            payload={"connectorId": 1, "meterValue": []},
        )
        for i in range(count)
    ]


def nats_py(js: JetStreamContext) -> Publish:
    async def publish(events: Sequence[TelemetryEvent]) -> None:
        acks = []
        for event in events:
            subject, payload, headers = event_message(event)
            acks.append(
                await js.publish_async(subject, payload, stream=TELEMETRY_STREAM, headers=headers)
            )
        await asyncio.wait(acks, timeout=5)

    return publish


async def cpu_per_event(js: JetStreamContext, publish: Publish) -> float:
    best = float("inf")
    for _ in range(3):
        events = ocpp_logs(EVENTS, next(RUNS))
        started = time.process_time()
        for i in range(0, EVENTS, BATCH):
            await publish(events[i : i + BATCH])
        best = min(best, (time.process_time() - started) / EVENTS * 1e6)
        await js.purge_stream(TELEMETRY_STREAM)
    return best


async def measure(url: str) -> tuple[float, float]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_bridge_streams(js, replicas=1)
    baseline = await cpu_per_event(js, nats_py(js))
    bridge = await cpu_per_event(js, TelemetryPublisher(js, nc).publish_all)
    await nc.drain()
    return bridge, baseline


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-nats-") as store_dir:
        server = NatsServer(Path(store_dir))
        server.start()
        try:
            bridge, baseline = uvloop.run(measure(server.url))
        finally:
            server.stop()
    write_result(
        "ocpp_log_publish",
        f"ocpp_log_publish  {datetime.now(UTC):%Y-%m-%d %H:%M}Z  {EVENTS} events, batches of "
        f"{BATCH}, best of 3\nbridge publish_all {bridge:.1f} µs CPU per event; nats-py "
        f"publish_async {baseline:.1f} µs; ratio {bridge / baseline:.2f}x",
    )


if __name__ == "__main__":
    main()
