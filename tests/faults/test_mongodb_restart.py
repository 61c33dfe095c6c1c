"""The MongoDB-protocol server stopped mid-ingest and restarted on the same port and data:
telemetry stops acking while it is down (nothing is acked that was not stored), resumes on
its own once it is back, and every event is stored exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
from nats.aio.client import Client as NatsClient

from evse_contracts.telemetry import TELEMETRY_STREAM
from evse_devstack.backends import MongoServer, NatsServer
from evse_runtime.mongo import open_database
from evse_telemetry.app import log_consumer
from tests.faults.counts import duplicate_keys, report
from tests.faults.ingest import Publisher, acked_through, caught_up, make_events
from tests.utils.processes import process_env, service_replica, started

EVENTS = 20_000
STOP_AT = EVENTS // 4
"""Events stored (acked) before the server is stopped."""
BATCH, PULLS = 1_000, 2
DOWN_POLLS = 25
"""Polls (0.2 s apart) of telemetry's ack floor while the server is down."""


async def ack_floor(nc: NatsClient) -> int:
    info = await nc.jetstream().consumer_info(TELEMETRY_STREAM, log_consumer("status"))
    assert info.ack_floor is not None
    floor: int = info.ack_floor.stream_seq
    return floor


async def test_a_mongodb_restart_mid_ingest_stops_acks_then_stores_every_event_once(
    private_nats: NatsServer, database_name: str, tmp_path: Path
) -> None:
    with started(MongoServer(tmp_path / "mongo")) as mongo:
        env = process_env(
            "telemetry",
            nats_url=private_nats.url,
            mongodb_url=mongo.url,
            database=database_name,
            batch_size=BATCH,
            pulls_per_consumer=PULLS,
        )
        async with service_replica("telemetry", "a", env=env, logs=tmp_path) as telemetry:
            nc = await nats.connect(private_nats.url)
            try:
                publisher = Publisher(nc)
                await publisher.publish_all(make_events(EVENTS))
                await acked_through(nc, STOP_AT)
                await asyncio.to_thread(mongo.stop)
                at_stop = await ack_floor(nc)
                for _ in range(DOWN_POLLS):
                    await asyncio.sleep(0.2)
                while_down = await ack_floor(nc) - at_stop
                await asyncio.to_thread(mongo.start)
                info = await caught_up(nc, EVENTS)
            finally:
                await nc.close()
            alive = telemetry.alive()
        async with open_database(mongo.url, database_name) as db:
            documents, duplicates = await duplicate_keys(db, "status_logs")
    report(
        "mongodb restart",
        events=EVENTS,
        acked_before_stop=at_stop,
        acked_while_down=while_down,
        redelivered=info.redelivered,
        stored=documents,
        duplicates=duplicates,
    )
    assert alive, telemetry.log_tail()
    assert at_stop < EVENTS - BATCH * PULLS  # the stop came with work still to do
    assert while_down <= BATCH * PULLS  # only batches whose writes had finished were acked
    assert info.acked == EVENTS
    assert (documents, duplicates) == (EVENTS, 0)
