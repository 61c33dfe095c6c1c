"""NATS restarted (same port, file store kept) while 100k telemetry events are published and
consumed: the publisher retries until acked, telemetry carries on, every event is stored once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import nats
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError

from evse_contracts.ids import new_uid
from evse_contracts.telemetry import TELEMETRY_STREAM, StatusLog, publish_event
from evse_devstack.backends import NatsServer
from evse_runtime.mongo import Database, open_database
from tests.faults.counts import duplicate_keys, report
from tests.utils.processes import replica_process
from tests.utils.telemetry import base_time, status

EVENTS = int(os.environ.get("EVSE_FAULT_EVENTS", "100000"))
EVSES = 100
WINDOW = 500
"""Publishes in flight at once."""
RESTART_AT = EVENTS // 3
"""Acked publishes before NATS is restarted."""
STALL_POLLS = 1_200
"""Polls (0.1 s apart) without one more stored document before the test gives up."""


@dataclass
class Publisher:
    """Publishes with `Nats-Msg-Id` and retries each event until JetStream acks it."""

    nc: NatsClient
    attempts: int = 0
    failures: int = 0
    acked: int = 0

    async def publish(self, event: StatusLog) -> None:
        js = self.nc.jetstream(timeout=2.0)
        while True:
            self.attempts += 1
            try:
                await publish_event(js, event)
            except (NatsError, TimeoutError):
                self.failures += 1
                await asyncio.sleep(0.2)
                continue
            self.acked += 1
            return

    async def publish_all(self, events: Sequence[StatusLog]) -> None:
        for i in range(0, len(events), WINDOW):
            await asyncio.gather(*(self.publish(e) for e in events[i : i + WINDOW]))


@pytest_asyncio.fixture
async def db(mongodb_url: str, database_name: str) -> AsyncIterator[Database]:
    async with open_database(mongodb_url, database_name) as database:
        yield database


def make_events() -> list[StatusLog]:
    evse_uids = [new_uid("evse") for _ in range(EVSES)]
    start = base_time() - timedelta(seconds=EVENTS)
    return [
        status(evse_uids[i % EVSES], start + timedelta(seconds=i // EVSES)) for i in range(EVENTS)
    ]


async def restart_when_reached(server: NatsServer, publisher: Publisher) -> None:
    while publisher.acked < RESTART_AT:
        await asyncio.sleep(0.01)
    await asyncio.to_thread(server.stop)
    await asyncio.to_thread(server.start)


async def all_stored(db: Database, count: int) -> int:
    """Wait while the stored count grows toward `count`; return the count it settled at."""
    stored, still = 0, 0
    while still < STALL_POLLS:
        now = await db["status_logs"].count_documents({})
        if now >= count:
            return now
        stored, still = now, (still + 1 if now == stored else 0)
        await asyncio.sleep(0.1)
    return stored


async def test_nats_restart_mid_ingest_loses_and_duplicates_no_event(
    private_nats: NatsServer,
    mongodb_url: str,
    database_name: str,
    db: Database,
    tmp_path: Path,
) -> None:
    env = {
        "EVSE_NATS_URL": private_nats.url,
        "EVSE_MONGODB_URL": mongodb_url,
        "EVSE_DATABASE": database_name,
        "EVSE_LOG_LEVEL": "WARNING",
    }
    events = make_events()
    async with replica_process(
        "evse-telemetry",
        "telemetry.health",
        instance_id="telemetry-a",
        env=env,
        log_file=tmp_path / "telemetry-a.log",
    ) as telemetry:
        nc = await nats.connect(private_nats.url, max_reconnect_attempts=-1)
        try:
            publisher = Publisher(nc)
            restart = asyncio.create_task(restart_when_reached(private_nats, publisher))
            await publisher.publish_all(events)
            await restart
            stored = await all_stored(db, EVENTS)
            stream = await nc.jetstream().stream_info(TELEMETRY_STREAM)
        finally:
            await nc.close()
        alive = telemetry.proc.poll() is None
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
    assert alive, (tmp_path / "telemetry-a.log").read_text()[-3000:]
    assert publisher.failures > 0  # the restart really happened mid-publish
    assert stream.state.messages == EVENTS
    assert (stored, documents, duplicates) == (EVENTS, EVENTS, 0)
