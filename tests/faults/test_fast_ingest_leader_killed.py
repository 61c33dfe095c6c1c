"""The stream's leader SIGKILLed while the bridge's fast-ingest publisher writes batches to a
3-node cluster: every message it reports stored is in the stream, none twice, and it stores
again on the new leader without being restarted."""

from __future__ import annotations

import asyncio
from collections import Counter

import nats
import pytest
from nats.js.api import Header, StreamConfig

from evse_contracts.telemetry import MSG_ID_HEADER
from evse_devstack.backends import NatsCluster
from evse_runtime.fast_ingest import FastIngest, Outgoing
from tests.faults.counts import report
from tests.utils.cluster import current_everywhere, leader_of
from tests.utils.jetstream import stream_payloads

# A killed node leaves nats-py's dead connection to the garbage collector (see conftest).
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

STREAM = "INGEST"
BATCH = 256
KILL_AFTER = 10
"""Batches published before the leader is killed."""
STORED_AFTER_KILL = 10
"""Batches stored whole after the kill before the test stops publishing."""
MAX_BATCHES = 3000
"""Batches (0.01 s apart) before it stops anyway."""


def batch(number: int) -> list[Outgoing]:
    return [
        Outgoing(
            f"ingest.evse-{i % 50}",
            f"{number}-{i}".encode(),
            {MSG_ID_HEADER: f"{number}-{i}", Header.EXPECTED_STREAM: STREAM},
        )
        for i in range(BATCH)
    ]


async def test_a_killed_leader_loses_and_doubles_no_message_reported_stored(
    nats_cluster: NatsCluster,
) -> None:
    nc = await nats.connect(nats_cluster.url.split(","), max_reconnect_attempts=-1)
    try:
        await nc.jetstream(timeout=10).add_stream(
            StreamConfig(
                name=STREAM,
                subjects=["ingest.>"],
                num_replicas=3,
                duplicate_window=120,
                allow_batched=True,
            )
        )
        leader = await leader_of(nc, nats_cluster, STREAM)
        ingest = FastIngest(nc)
        reported: list[bytes] = []
        failed = after_kill = whole_after_kill = partial = 0
        kill: asyncio.Task[None] | None = None
        for number in range(MAX_BATCHES):
            if number == KILL_AFTER:  # from a thread, while the next batches are written
                kill = asyncio.create_task(asyncio.to_thread(leader.kill))
            sent = batch(number)
            outcomes = await ingest.publish(sent)
            stored = [m.payload for m, outcome in zip(sent, outcomes, strict=True) if not outcome]
            reported += stored
            failed += len(sent) - len(stored)
            partial += 0 < len(stored) < BATCH
            if number >= KILL_AFTER:
                after_kill += len(stored)
                whole_after_kill += len(stored) == BATCH
            if whole_after_kill == STORED_AFTER_KILL:
                break
            await asyncio.sleep(0.01)
        assert kill is not None
        await kill
        assert await current_everywhere(nc, STREAM, 2)
        in_stream = Counter(await stream_payloads(nc.jetstream(timeout=10), STREAM))
    finally:
        await nc.close()
    report(
        "fast ingest leader killed",
        batches=number + 1,
        reported_stored=len(reported),
        failed=failed,
        batches_partly_stored=partial,
        stored_after_kill=after_kill,
        in_stream=sum(in_stream.values()),
    )
    assert after_kill > 0  # the publisher went on to the new leader
    assert [payload for payload in reported if in_stream[payload] == 0] == []
    assert [payload for payload, n in in_stream.items() if n > 1] == []
