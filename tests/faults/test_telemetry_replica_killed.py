"""A telemetry replica SIGKILLed mid-batch while two replicas share the consumers: what it
held unacked is redelivered to the survivor, and every event is stored exactly once."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import nats

from evse_devstack.backends import NatsServer
from evse_runtime.mongo import Database
from tests.faults.counts import duplicate_keys, report
from tests.faults.ingest import Publisher, acked_through, caught_up, make_events
from tests.utils.processes import process_env, service_replica

EVENTS = 20_000
KILL_AT = EVENTS // 4
"""Events acked (so stored) before replica `a` is killed; the backlog keeps a batch in its hands."""


async def test_a_replica_killed_mid_batch_leaves_every_event_stored_once(
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
        ack_wait_s=5,
    )
    events = make_events(EVENTS)
    async with AsyncExitStack() as stack:
        a, b = [
            await stack.enter_async_context(
                service_replica("telemetry", name, env=env, logs=tmp_path)
            )
            for name in ("a", "b")
        ]
        nc = await nats.connect(private_nats.url)
        try:
            publisher = Publisher(nc)
            await publisher.publish_all(events)
            await acked_through(nc, KILL_AT)
            a.kill()
            info = await caught_up(nc, EVENTS)
        finally:
            await nc.close()
        survivor_alive = b.alive()
    documents, duplicates = await duplicate_keys(db, "status_logs")
    redelivered = info.redelivered
    report(
        "telemetry replica killed",
        events=EVENTS,
        killed_after_acked=KILL_AT,
        redelivered=redelivered,
        stored=documents,
        duplicates=duplicates,
    )
    assert survivor_alive
    assert redelivered > 0  # the killed replica held a batch it never acked
    assert (documents, duplicates) == (EVENTS, 0)
