"""Ingestion guarantees: exactly one document per event through duplicates, redelivery,
malformed neighbours and replicas sharing the consumers. EVSE events decide who may read an
EVSE's logs, in whatever order they come; one that clashes is dead-lettered, not blocking."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from evse_contracts.auth import Principal
from evse_contracts.bus import DEADLETTER_REASON_HEADER, DEADLETTER_SUBJECT_HEADER
from evse_contracts.evses import (
    EVSE_DECOMMISSIONED,
    EVSE_ONBOARDED,
    EVSE_RECONNECTED,
    EvseDecommissioned,
    EvseOnboarded,
    EvseReconnected,
)
from evse_contracts.ids import new_uid
from evse_contracts.telemetry import (
    TELEMETRY_STREAM,
    event_subject,
    publish_event,
)
from evse_devstack.backends import NatsServer
from evse_runtime.bus_client import RemoteProblem
from evse_runtime.mongo import Database
from evse_telemetry.app import log_consumer
from evse_telemetry.store import MongoTelemetryStore
from tests.utils.polling import until
from tests.utils.services import running_telemetry
from tests.utils.telemetry import (
    ask_status_logs,
    base_time,
    onboard,
    status,
    stored,
    visible,
)


async def consumer_settled(js: JetStreamContext, durable: str) -> None:
    """Wait until the consumer has nothing pending and nothing awaiting an ack."""

    async def settled() -> bool:
        info = await js.consumer_info(TELEMETRY_STREAM, durable)
        return not info.num_pending and not info.num_ack_pending

    await until(settled)


async def test_every_event_published_twice_and_republished_is_stored_once(
    private_nats: NatsServer, mongodb_url: str, db: Database, private_nc: NatsClient
) -> None:
    js = private_nc.jetstream()
    evse_uid = new_uid("evse")
    start = base_time()
    events = [status(evse_uid, start + timedelta(seconds=i)) for i in range(200)]
    async with running_telemetry(
        nats_url=private_nats.url, mongodb_url=mongodb_url, database=db.name
    ):
        for event in events:
            await publish_event(js, event)
            await publish_event(js, event)  # a publisher retry: dropped by JetStream
        for event in events:  # outside the duplicate window: only the unique index stops it
            await js.publish(event_subject(event), event.model_dump_json().encode())
        await consumer_settled(js, log_consumer("status"))

        assert (await js.stream_info(TELEMETRY_STREAM)).state.messages == 400
        assert await db["status_logs"].count_documents({"evse_uid": evse_uid}) == 200
        assert await db["connectivity"].count_documents({"_id": evse_uid}) == 1


async def test_a_batch_redelivered_after_a_crash_before_ack_is_stored_once(
    private_nats: NatsServer, mongodb_url: str, db: Database, private_nc: NatsClient
) -> None:
    js = private_nc.jetstream()
    settings = {"nats_url": private_nats.url, "mongodb_url": mongodb_url, "database": db.name}
    async with running_telemetry(**settings, ack_wait_s=1.0):
        pass  # declares the stream and the consumers, then stops
    evse_uid = new_uid("evse")
    events = [status(evse_uid, base_time() + timedelta(seconds=i)) for i in range(300)]
    for event in events:
        await publish_event(js, event)
    # A replica fetches a batch and writes it, then dies before it acks.
    crashed = await js.pull_subscribe_bind(log_consumer("status"), stream=TELEMETRY_STREAM)
    fetched = await crashed.fetch(120, timeout=5)
    decoded = [m.data for m in fetched]
    store = MongoTelemetryStore(db, retention_days=400)
    await store.insert_logs(
        "status", [e.model_dump() for e in events if e.model_dump_json().encode() in decoded]
    )
    await crashed.unsubscribe()
    assert await db["status_logs"].count_documents({"evse_uid": evse_uid}) == len(fetched)

    async with running_telemetry(**settings, ack_wait_s=1.0):
        await consumer_settled(js, log_consumer("status"))
        info = await js.consumer_info(TELEMETRY_STREAM, log_consumer("status"))

    assert info.delivered.consumer_seq >= len(events) + len(fetched)  # the batch came again
    assert await db["status_logs"].count_documents({"evse_uid": evse_uid}) == 300


async def test_malformed_events_are_dead_lettered_and_the_good_ones_stored(
    private_nats: NatsServer, mongodb_url: str, db: Database, private_nc: NatsClient
) -> None:
    js = private_nc.jetstream()
    evse_uid = new_uid("evse")
    good = [status(evse_uid, base_time() + timedelta(seconds=i)) for i in range(10)]
    subject = f"telemetry.events.status.{evse_uid}"
    bad = [
        (subject, b"{not json"),
        (subject, good[0].model_dump_json(exclude={"online"}).encode()),
        (subject, good[1].model_dump_json().replace('"charging"', '"exploded"').encode()),
        (f"telemetry.events.status.{new_uid('evse')}", good[2].model_dump_json().encode()),
    ]
    async with running_telemetry(
        nats_url=private_nats.url, mongodb_url=mongodb_url, database=db.name
    ):
        for index, event in enumerate(good):
            await publish_event(js, event)
            if index < len(bad):
                await js.publish(*bad[index])
        await stored(db, "status_logs", evse_uid, 10)
        await consumer_settled(js, log_consumer("status"))
    reader = await js.pull_subscribe("deadletter.TELEMETRY", stream="DEADLETTER")
    dead = await reader.fetch(len(bad) + 1, timeout=1)

    assert await db["status_logs"].count_documents({"evse_uid": evse_uid}) == 10
    assert [(m.headers or {})[DEADLETTER_SUBJECT_HEADER] for m in dead] == [s for s, _ in bad]
    assert [m.data for m in dead] == [data for _, data in bad]
    reasons = [(m.headers or {})[DEADLETTER_REASON_HEADER] for m in dead]
    assert "invalid status event" in reasons[0]
    assert "online: Field required" in reasons[1]
    assert "state: Input should be" in reasons[2]
    assert "does not name the event's EVSE" in reasons[3]
    info = await js.consumer_info(TELEMETRY_STREAM, log_consumer("status"))
    assert info.num_redelivered == 0  # terminated, not retried


async def test_replicas_share_the_consumers_and_store_each_event_once(
    private_nats: NatsServer, mongodb_url: str, db: Database, private_nc: NatsClient
) -> None:
    js = private_nc.jetstream()
    settings = {"nats_url": private_nats.url, "mongodb_url": mongodb_url, "database": db.name}
    evse_uids = [new_uid("evse") for _ in range(5)]
    start = base_time()
    events = [
        status(uid, start + timedelta(seconds=i), online=i % 7 != 0)
        for i in range(300)
        for uid in evse_uids
    ]
    async with (
        running_telemetry(**settings, batch_size=50),
        running_telemetry(**settings, batch_size=50),
    ):
        for chunk in range(0, len(events), 100):
            await asyncio.gather(*(publish_event(js, e) for e in events[chunk : chunk + 100]))
        await consumer_settled(js, log_consumer("status"))

    assert await db["status_logs"].count_documents({}) == len(events)
    snapshots = await db["connectivity"].find().to_list()
    assert sorted(s["_id"] for s in snapshots) == sorted(evse_uids)
    assert {s["last_sample_at"] for s in snapshots} == {events[-1].sampled_at}
    assert {s["last_seen_at"] for s in snapshots} == {events[-1].sampled_at}


async def test_an_application_reads_its_evses_and_a_user_only_their_own(
    telemetry_nc: NatsClient, telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    app, other_app = new_uid("app"), new_uid("app")
    owner, neighbour = new_uid("user"), new_uid("user")
    evse = await onboard(telemetry_js, application_uid=app, user_uid=owner)
    await publish_event(telemetry_js, status(evse.evse_uid, base_time()))
    await visible(telemetry_db, evse.evse_uid)
    await stored(telemetry_db, "status_logs", evse.evse_uid, 1)
    allowed = [
        Principal(kind="application", application_uid=app),
        Principal(kind="user", application_uid=app, user_uid=owner),
    ]
    denied = [
        Principal(kind="application", application_uid=other_app),
        Principal(kind="user", application_uid=app, user_uid=neighbour),
        Principal(kind="user", application_uid=other_app, user_uid=owner),
        Principal(kind="user", application_uid=app),
    ]

    for principal in allowed:
        page = await ask_status_logs(telemetry_nc, evse.evse_uid, principal)
        assert len(page.results) == 1, principal
    for principal in denied:
        with pytest.raises(RemoteProblem) as caught:
            await ask_status_logs(telemetry_nc, str(evse.evse_id), principal)
        assert caught.value.problem.slug == "evse-not-found", principal
    with pytest.raises(RemoteProblem) as anonymous:
        await ask_status_logs(telemetry_nc, evse.evse_uid, None)
    assert anonymous.value.problem.slug == "unauthorized"


async def test_a_late_onboarded_event_does_not_undo_a_later_reconnection(
    telemetry_nc: NatsClient, telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    app, first_user, second_user = new_uid("app"), new_uid("user"), new_uid("user")
    onboarded = EvseOnboarded(
        evse_uid=new_uid("evse"),
        evse_id=987_654,
        application_uid=app,
        user_uid=first_user,
        evse_model_uid="evsemodel01JD7AAAAAAAAAAAAAAAAAAAAA",
        provider="zaptec",
        serial_number="ZAP-2",
        occurred_at=base_time(),
    )
    reconnected = EvseReconnected(
        evse_uid=onboarded.evse_uid,
        evse_id=onboarded.evse_id,
        application_uid=app,
        user_uid=second_user,
        occurred_at=base_time() + timedelta(minutes=5),
    )
    await telemetry_js.publish(EVSE_RECONNECTED, reconnected.model_dump_json().encode())
    await telemetry_js.publish(EVSE_ONBOARDED, onboarded.model_dump_json().encode())

    async def model_known() -> bool:
        doc = await telemetry_db["evse_access"].find_one({"_id": onboarded.evse_uid})
        return doc is not None and "evse_model_uid" in doc

    await until(model_known)
    owner = Principal(kind="user", application_uid=app, user_uid=second_user)
    assert (await ask_status_logs(telemetry_nc, "987654", owner)).results == ()
    with pytest.raises(RemoteProblem):
        previous = Principal(kind="user", application_uid=app, user_uid=first_user)
        await ask_status_logs(telemetry_nc, onboarded.evse_uid, previous)


async def test_an_event_reusing_a_legacy_id_is_dead_lettered_without_blocking_the_rest(
    telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    first = await onboard(telemetry_js)
    await visible(telemetry_db, first.evse_uid)
    dead = await telemetry_js.subscribe("deadletter.EVSE_EVENTS", ordered_consumer=True)
    clash = EvseDecommissioned(
        evse_uid=new_uid("evse"),
        evse_id=first.evse_id,
        application_uid=first.application_uid,
        occurred_at=first.occurred_at,
    )
    await telemetry_js.publish(EVSE_DECOMMISSIONED, clash.model_dump_json().encode())
    after = await onboard(telemetry_js)
    await visible(telemetry_db, after.evse_uid)
    letter = await dead.next_msg(timeout=10)
    assert json.loads(letter.data)["evse_uid"] == clash.evse_uid
    assert "conflicts" in (letter.headers or {})[DEADLETTER_REASON_HEADER]
