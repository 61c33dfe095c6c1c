"""What replication costs a stream: publish + ack rate into TELEMETRY at 3 replicas against
1 replica, on the same 3-node NATS cluster on loopback, in the same run.

Publishes BENCH_MESSAGES (default 50000) status events (the platform's real payload, subject
and `Nats-Msg-Id`) with BENCH_WINDOW (default 1000) publishes in flight, once into a stream
kept on one node and once into a stream kept on all three, each time from a fresh stream.
Then drains each with a bare pull consumer (batch 1000, ack each). Prints the rates and the
R3/R1 ratios, and writes bench/results/stream_replicas.txt.
"""

from __future__ import annotations

import asyncio
import os
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
from _common import write_result
from nats.aio.client import Client as NatsClient
from nats.js.api import AckPolicy, ConsumerConfig

from evse_contracts.ids import new_uid
from evse_contracts.telemetry import TELEMETRY_STREAM, StatusLog, publish_event
from evse_devstack.backends import NatsCluster
from evse_runtime.streams import TELEMETRY, ensure_stream

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "50000"))
WINDOW = int(os.environ.get("BENCH_WINDOW", "1000"))


def make_events(count: int, evses: int = 100) -> list[StatusLog]:
    uids = [new_uid("evse") for _ in range(evses)]
    start = datetime.now(UTC) - timedelta(seconds=count)
    return [
        StatusLog(
            evse_uid=uids[i % evses],
            sampled_at=start + timedelta(seconds=i // evses),
            state="charging",
            online=True,
            plugged_in=True,
        )
        for i in range(count)
    ]


async def publish_rate(nc: NatsClient, replicas: int) -> float:
    js = nc.jetstream(timeout=30)
    await ensure_stream(js, TELEMETRY, replicas=replicas)
    events = make_events(MESSAGES)
    start = time.perf_counter()
    for i in range(0, MESSAGES, WINDOW):
        await asyncio.gather(*(publish_event(js, e) for e in events[i : i + WINDOW]))
    return MESSAGES / (time.perf_counter() - start)


async def consume_rate(nc: NatsClient) -> float:
    js = nc.jetstream(timeout=30)
    config = ConsumerConfig(durable_name="bench", ack_policy=AckPolicy.EXPLICIT)
    await js.add_consumer(TELEMETRY_STREAM, config)
    sub = await js.pull_subscribe_bind("bench", stream=TELEMETRY_STREAM)
    done, start = 0, time.perf_counter()
    while done < MESSAGES:
        msgs = await sub.fetch(1000, timeout=10)
        await asyncio.gather(*(msg.ack() for msg in msgs))
        done += len(msgs)
    return MESSAGES / (time.perf_counter() - start)


async def measure(url: str, replicas: int) -> tuple[float, float]:
    nc = await nats.connect(url.split(","))
    try:
        published = await publish_rate(nc, replicas)
        consumed = await consume_rate(nc)
        await nc.jetstream().delete_stream(TELEMETRY_STREAM)
        return published, consumed
    finally:
        await nc.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        cluster = NatsCluster(Path(tmp))
        cluster.start()
        try:
            r1 = asyncio.run(measure(cluster.url, 1))
            r3 = asyncio.run(measure(cluster.url, 3))
        finally:
            cluster.stop()
    text = (
        f"stream replicas, {MESSAGES} status events, window {WINDOW}, 3-node cluster on "
        f"loopback ({platform.node()}, {os.cpu_count()} cores)\n"
        f"publish+ack  R1 {r1[0]:.0f} msg/s  R3 {r3[0]:.0f} msg/s  ratio {r3[0] / r1[0]:.2f}x\n"
        f"pull+ack     R1 {r1[1]:.0f} msg/s  R3 {r3[1]:.0f} msg/s  ratio {r3[1] / r1[1]:.2f}x\n"
    )
    write_result("stream_replicas", text)


if __name__ == "__main__":
    main()
