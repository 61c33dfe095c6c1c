"""The telemetry store on a real MongoDB-protocol server: its indexes, retention and snapshots."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from nats.js import JetStreamContext

from evse_contracts.ids import new_uid
from evse_contracts.telemetry import (
    ConnectivitySample,
    publish_event,
)
from evse_runtime.mongo import Database, open_database
from evse_telemetry.connectivity import fold
from evse_telemetry.store import ListQuery, MongoTelemetryStore, collection_name
from tests.utils.telemetry import (
    base_time,
    command,
    onboard,
    status,
    stored,
)


async def test_the_list_query_is_a_range_scan_of_the_key_index(
    telemetry_js: JetStreamContext, telemetry_db: Database, telemetry_api: httpx.AsyncClient
) -> None:
    evse = await onboard(telemetry_js)
    start = base_time()
    for i in range(20):
        await publish_event(telemetry_js, status(evse.evse_uid, start + timedelta(seconds=i)))
        await publish_event(telemetry_js, command(evse.evse_uid, start + timedelta(seconds=i)))
    await stored(telemetry_db, "status_logs", evse.evse_uid, 20)
    await stored(telemetry_db, "command_logs", evse.evse_uid, 20)

    for kind, field in (("status", "sampled_at"), ("command", "logged_at")):
        query = ListQuery(
            kind=kind,  # type: ignore[arg-type]
            evse_uid=evse.evse_uid,
            since=start,
            until=start + timedelta(seconds=15),
            before=start + timedelta(seconds=10),
            limit=5,
        )
        cursor = telemetry_db[collection_name(query.kind)].find(query.filter()).sort(query.sort())
        plan = json.dumps((await cursor.limit(5).explain())["queryPlanner"], default=str)

        assert '"stage": "IXSCAN"' in plan
        assert f'"keyPattern": {{"evse_uid": 1, "{field}": 1}}' in plan
        assert "COLLSCAN" not in plan
        assert '"stage": "SKIP"' not in plan


async def test_retention_is_a_ttl_index_beside_the_unique_key(
    telemetry: None, telemetry_db: Database
) -> None:
    """Telemetry made the indexes when it started."""
    for collection, field in (
        ("status_logs", "sampled_at"),
        ("command_logs", "logged_at"),
        ("error_logs", "sampled_at"),
        ("ocpp_logs", "sampled_at"),
    ):
        indexes = await telemetry_db[collection].index_information()
        assert indexes["evse_time"]["unique"] is True
        assert indexes["evse_time"]["key"] == [("evse_uid", 1), (field, 1)]
        assert indexes["retention"]["key"] == [(field, 1)]
        assert indexes["retention"]["expireAfterSeconds"] == 400 * 86_400


async def test_a_changed_retention_setting_updates_the_ttl_index(
    mongodb_url: str, database_name: str
) -> None:
    async with open_database(mongodb_url, database_name) as database:
        await MongoTelemetryStore(database, retention_days=400).ensure_indexes()
        await MongoTelemetryStore(database, retention_days=30).ensure_indexes()
        indexes = await database["ocpp_logs"].index_information()
    assert indexes["retention"]["expireAfterSeconds"] == 30 * 86_400


async def test_snapshots_merge_to_the_latest_fact_whatever_order_batches_are_written_in(
    mongodb_url: str, database_name: str
) -> None:
    evse_uid = new_uid("evse")
    start = base_time()
    samples = [
        status(
            evse_uid,
            start,
            connectivity=ConnectivitySample(carrier="Telia", iccid="89460000000000000001"),
        ),
        status(evse_uid, start + timedelta(minutes=1), online=False),
        status(
            evse_uid, start + timedelta(minutes=2), connectivity=ConnectivitySample(carrier="Tele2")
        ),
        status(evse_uid, start + timedelta(minutes=3), online=False),
    ]
    async with open_database(mongodb_url, database_name) as database:
        store = MongoTelemetryStore(database, retention_days=400)
        for batch in (samples[2:], samples[:2], samples[1:3]):
            await store.merge_snapshots(fold(batch))
        merged = await store.get_snapshot(evse_uid)
    assert merged == fold(samples)[0]
    assert merged is not None and merged.carrier == "Tele2"
    assert merged.iccid == "89460000000000000001"
    assert merged.last_seen_at == samples[2].sampled_at
