"""NATS restarted (same port, file store kept) while telemetry events are published and
consumed: the publisher retries until acked, telemetry carries on, every event is stored once.

30k events in `make test`, the restart a third of the way through with a publish window in
flight; `EVSE_FAULT_EVENTS=100000` runs the longer version."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import nats
import pytest

from evse_contracts.telemetry import TELEMETRY_STREAM
from evse_devstack.backends import NatsServer
from evse_runtime.mongo import Database
from tests.faults.counts import duplicate_keys, report
from tests.faults.ingest import Publisher, caught_up, make_events
from tests.utils.processes import process_env, service_replica

# A killed node leaves nats-py's dead connection to the garbage collector (see conftest).
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

EVENTS = int(os.environ.get("EVSE_FAULT_EVENTS", "30000"))
RESTART_AT = EVENTS // 3
"""Acked publishes before NATS is restarted."""


async def restart_when_reached(server: NatsServer, publisher: Publisher) -> None:
    while publisher.acked < RESTART_AT:
        await asyncio.sleep(0.01)
    await asyncio.to_thread(server.stop)
    await asyncio.to_thread(server.start)


async def test_nats_restart_mid_ingest_loses_and_duplicates_no_event(
    private_nats: NatsServer,
    mongodb_url: str,
    database_name: str,
    db: Database,
    tmp_path: Path,
) -> None:
    env = process_env(
        "telemetry",
        nats_url=private_nats.url,
        mongodb_url=mongodb_url,
        database=database_name,
        # Bigger pulls, fewer store round trips: the embedded store's write rate bounds
        # this test's length; the restart is met either way (batches in hand, pulls waiting).
        batch_size=5000,
    )
    events = make_events(EVENTS)
    async with service_replica("telemetry", "a", env=env, logs=tmp_path) as telemetry:
        nc = await nats.connect(private_nats.url, max_reconnect_attempts=-1)
        try:
            publisher = Publisher(nc)
            restart = asyncio.create_task(restart_when_reached(private_nats, publisher))
            await publisher.publish_all(events)
            await restart
            await caught_up(nc, EVENTS)
            stream = await nc.jetstream().stream_info(TELEMETRY_STREAM)
        finally:
            await nc.close()
        alive = telemetry.alive()
    documents, duplicates = await duplicate_keys(db, "status_logs")
    report(
        "nats restart",
        events=EVENTS,
        publish_attempts=publisher.attempts,
        failed_attempts=publisher.failures,
        in_stream=stream.state.messages,
        stored=documents,
        duplicates=duplicates,
    )
    assert alive, telemetry.log_tail()
    assert publisher.failures > 0  # the restart really happened mid-publish
    assert stream.state.messages == EVENTS
    assert (documents, duplicates) == (EVENTS, 0)
