"""The TELEMETRY stream's leader SIGKILLed mid-ingest on a 3-node cluster, restarted, then
the status consumer's leader (another node) killed: publishes and storage go on while each
node is down, no service is restarted, and every acked event is stored exactly once.

`EVSE_FAULT_STREAM_REPLICAS=1` runs it on unreplicated streams, where it must fail: the
stream and its consumer live on one node, and nothing is acked or stored while it is down.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError

from evse_contracts.telemetry import TELEMETRY_STREAM
from evse_devstack.backends import NatsCluster, NatsServer
from evse_runtime.mongo import Database
from evse_telemetry.app import log_consumer
from tests.faults.counts import duplicate_keys, report
from tests.faults.ingest import WINDOW, Publisher, caught_up, make_events
from tests.utils.cluster import current_everywhere, leader_of
from tests.utils.processes import process_env, service_replica

# A killed node leaves nats-py's dead connection to the garbage collector (see conftest).
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

EVENTS = 50_000
REPLICAS = int(os.environ.get("EVSE_FAULT_STREAM_REPLICAS", "3"))
PHASE = EVENTS // 5
"""Acked publishes before the first kill, and again while each node is down."""
STORED_WHILE_DOWN = 1_000
"""Events telemetry must store while a node is down (its consumer's ack floor rising)."""
STALL_POLLS = 300
"""Polls (0.1 s apart, plus a consumer info request each) without any publish acked or event
stored before a phase gives up: more than two of telemetry's ack waits (10 s), since acks lost
with a killed leader hold the ack floor still until their messages are delivered again."""
STATUS_CONSUMER = log_consumer("status")


@dataclass
class Outage:
    """What went on while one node was down."""

    node: str
    acked: int = 0
    stored: int = 0


@dataclass
class Faults:
    cluster: NatsCluster
    nc: NatsClient
    publisher: Publisher
    go: asyncio.Event = field(default_factory=asyncio.Event)
    outages: list[Outage] = field(default_factory=list)
    caught_up_after_restart: bool = False

    async def run(self) -> None:
        self.go.set()
        await self._until_acked(PHASE)
        first = await leader_of(self.nc, self.cluster, TELEMETRY_STREAM)
        await self._down(first)
        self.go.clear()  # publishing waits while the node rejoins: the next outage gets its share
        await asyncio.to_thread(first.start)
        self.caught_up_after_restart = await current_everywhere(self.nc, TELEMETRY_STREAM, REPLICAS)
        self.go.set()
        second = await leader_of(self.nc, self.cluster, TELEMETRY_STREAM, STATUS_CONSUMER)
        if second is first:
            second = next(node for node in self.cluster.nodes if node is not first)
        await self._down(second)  # and it stays down to the end

    async def _down(self, node: NatsServer) -> None:
        """Kill `node`, then follow publishing and storing until a phase's worth got through
        (or everything did) or both stalled."""
        acked, stored = self.publisher.acked, await self._stored(0)
        node.kill()
        outage = Outage(node.name)
        self.outages.append(outage)
        still = 0
        while still < STALL_POLLS and not (
            (outage.acked >= PHASE or self.publisher.acked == EVENTS)
            and (outage.stored >= STORED_WHILE_DOWN or stored + outage.stored == EVENTS)
        ):
            await asyncio.sleep(0.1)
            progress = (self.publisher.acked - acked, await self._stored(stored) - stored)
            still = 0 if progress != (outage.acked, outage.stored) else still + 1
            outage.acked, outage.stored = progress

    async def _until_acked(self, count: int) -> None:
        while self.publisher.acked < count:
            await asyncio.sleep(0.01)

    async def _stored(self, known: int) -> int:
        """Telemetry's status consumer's ack floor (events stored), `known` while it cannot
        say (no consumer leader yet)."""
        try:
            info = await self.nc.jetstream(timeout=1).consumer_info(
                TELEMETRY_STREAM, STATUS_CONSUMER
            )
        except (NatsError, TimeoutError):
            return known
        acked = info.ack_floor.stream_seq if info.ack_floor is not None else known
        return max(known, acked)


async def test_losing_the_telemetry_leader_and_then_another_node_loses_no_event(
    nats_cluster: NatsCluster,
    mongodb_url: str,
    database_name: str,
    db: Database,
    tmp_path: Path,
) -> None:
    env = process_env(
        "telemetry",
        nats_url=nats_cluster.url,
        mongodb_url=mongodb_url,
        database=database_name,
        stream_replicas=REPLICAS,
        ack_wait_s=10,
    )
    events = make_events(EVENTS)
    async with service_replica("telemetry", "a", env=env, logs=tmp_path) as telemetry:
        nc = await nats.connect(nats_cluster.url.split(","), max_reconnect_attempts=-1)
        try:
            publisher = Publisher(nc)
            faults = Faults(nats_cluster, nc, publisher)
            fault_task = asyncio.create_task(faults.run())
            await publisher.publish_all(events, faults.go)
            await fault_task
            info = await caught_up(nc, EVENTS)
            stream = await nc.jetstream().stream_info(TELEMETRY_STREAM)
        finally:
            await nc.close()
        alive = telemetry.alive()
    documents, duplicates = await duplicate_keys(db, "status_logs")
    report(
        "telemetry leader killed",
        events=EVENTS,
        replicas=REPLICAS,
        outages=[vars(outage) for outage in faults.outages],
        restarted_node_caught_up=faults.caught_up_after_restart,
        failed_publish_attempts=publisher.failures,
        redelivered=info.redelivered,
        in_stream=stream.state.messages,
        stored=documents,
        duplicates=duplicates,
    )
    assert alive, telemetry.log_tail()
    assert [o.node for o in faults.outages] and len(faults.outages) == 2
    for outage in faults.outages:  # the ingest went on while each node was down
        # (more acks than the publishes that were in flight when the node died)
        assert outage.acked > WINDOW and outage.stored >= STORED_WHILE_DOWN, outage
    assert faults.caught_up_after_restart
    assert stream.state.messages == EVENTS
    assert (documents, duplicates) == (EVENTS, 0)
