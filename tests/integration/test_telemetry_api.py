"""Events on JetStream → telemetry → MongoDB-protocol server; read back through the gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import nats
import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from evse_catalogue.seed import load_seed
from evse_contracts.auth import Principal
from evse_contracts.bus import DEADLETTER_REASON_HEADER, PRINCIPAL_HEADER
from evse_contracts.catalogue import (
    EVSE_FIRMWARE_VERSIONS_LIST,
    EvseFirmwareVersion,
    ListEvseFirmwareVersions,
)
from evse_contracts.evses import (
    EVSE_DECOMMISSIONED,
    EVSE_ONBOARDED,
    EVSE_RECONNECTED,
    EvseDecommissioned,
    EvseOnboarded,
    EvseReconnected,
)
from evse_contracts.ids import new_uid
from evse_contracts.pagination import Page
from evse_contracts.problems import ServiceUnavailable
from evse_contracts.telemetry import (
    STATUS_LOGS_LIST,
    ConnectivitySample,
    ListLogs,
    StatusLog,
    TelemetryEvent,
    publish_event,
    timestamp_of,
)
from evse_devstack.backends import NatsServer
from evse_devstack.keys import KeyPair
from evse_runtime.bus_client import BusClient, RemoteProblem
from evse_runtime.mongo import Database, open_database
from evse_telemetry.connectivity import fold
from evse_telemetry.store import ListQuery, MongoTelemetryStore, collection_name
from tests.utils.services import running_catalogue, running_gateway, running_telemetry
from tests.utils.telemetry import (
    TEST_APPLICATION,
    base_time,
    command,
    decommission,
    error,
    eventually,
    ocpp,
    onboard,
    status,
    stored,
    visible,
)
from tests.utils.tokens import application_bearer

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def module_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="module")
async def db(mongodb_url: str) -> AsyncIterator[Database]:
    name = "test_telemetry_api"
    async with open_database(mongodb_url, name) as database:
        await database.client.drop_database(name)
        yield database


@pytest_asyncio.fixture(scope="module")
async def telemetry(module_nats: NatsServer, mongodb_url: str, db: Database) -> AsyncIterator[None]:
    async with running_telemetry(
        nats_url=module_nats.url, mongodb_url=mongodb_url, database=db.name
    ):
        yield


@pytest_asyncio.fixture(scope="module")
async def api(
    telemetry: None, module_nats: NatsServer, keys: KeyPair
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the application that `onboard` gives EVSEs to by default."""
    async with (
        running_gateway(
            nats_url=module_nats.url, jwt_public_key_file=keys.public_key_file
        ) as base_url,
        httpx.AsyncClient(
            base_url=base_url, headers=application_bearer(keys, TEST_APPLICATION)
        ) as client,
    ):
        yield client


@pytest_asyncio.fixture(scope="module")
async def nc(telemetry: None, module_nats: NatsServer) -> AsyncIterator[NatsClient]:
    client = await nats.connect(module_nats.url)
    try:
        yield client
    finally:
        await client.drain()


@pytest.fixture(scope="module")
def js(nc: NatsClient) -> JetStreamContext:
    return nc.jetstream()


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, object] = response.json()
    assert str(body["type"]).endswith(f"/problems/{slug}")
    assert body["status"] == status
    return body


def as_json(event: StatusLog) -> object:
    return json.loads(event.model_dump_json())


async def test_a_batch_of_status_logs_reads_back_newest_first(
    api: httpx.AsyncClient, js: JetStreamContext, db: Database
) -> None:
    evse = await onboard(js)
    start = base_time()
    events = [
        status(evse.evse_uid, start + timedelta(seconds=i), power_w=1000.0 + i) for i in range(30)
    ]
    for event in events:
        await publish_event(js, event)
    await visible(db, evse.evse_uid)
    await stored(db, "status_logs", evse.evse_uid, 30)

    response = await api.get(f"/v2/evses/{evse.evse_uid}/status_logs", params={"limit": 500})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["results"] == [as_json(e) for e in reversed(events)]
    assert body["next"] is None


async def test_the_legacy_integer_id_reads_the_same_logs(
    api: httpx.AsyncClient, js: JetStreamContext, db: Database
) -> None:
    evse = await onboard(js)
    await publish_event(js, status(evse.evse_uid, base_time()))
    await visible(db, evse.evse_uid)
    await stored(db, "status_logs", evse.evse_uid, 1)

    by_uid = await api.get(f"/v2/evses/{evse.evse_uid}/status_logs")
    by_id = await api.get(f"/v2/evses/{evse.evse_id}/status_logs")

    assert by_id.status_code == 200
    assert by_id.json()["results"] == by_uid.json()["results"]
    assert len(by_id.json()["results"]) == 1


@pytest.mark.parametrize(
    ("path", "build", "collection"),
    [
        ("status_logs", status, "status_logs"),
        ("command_logs", command, "command_logs"),
        ("error_logs", error, "error_logs"),
        ("ocpp_logs", ocpp, "ocpp_logs"),
    ],
)
async def test_every_log_kind_is_listed_and_retrieved_by_its_timestamp(
    api: httpx.AsyncClient,
    js: JetStreamContext,
    db: Database,
    path: str,
    build: Callable[[str, datetime], TelemetryEvent],
    collection: str,
) -> None:
    evse = await onboard(js)
    event = build(evse.evse_uid, base_time())
    await publish_event(js, event)
    await visible(db, evse.evse_uid)
    await stored(db, collection, evse.evse_uid, 1)
    expected = json.loads(event.model_dump_json())

    listed = await api.get(f"/v2/evses/{evse.evse_uid}/{path}")
    one = await api.get(f"/v2/evses/{evse.evse_uid}/{path}/{timestamp_of(event)}")

    assert listed.json()["results"] == [expected]
    assert one.status_code == 200, one.text
    assert one.json() == expected


async def test_the_same_instant_in_any_offset_finds_the_same_log(
    api: httpx.AsyncClient, js: JetStreamContext, db: Database
) -> None:
    evse = await onboard(js)
    at = base_time().replace(hour=10, minute=15, second=30, microsecond=123_000)
    event = status(evse.evse_uid, at)
    await publish_event(js, event)
    await visible(db, evse.evse_uid)
    await stored(db, "status_logs", evse.evse_uid, 1)
    spellings = [
        at.strftime("%Y-%m-%dT%H:%M:%S.123Z"),
        at.strftime("%Y-%m-%dT12:%M:%S.123+02:00"),
        at.strftime("%Y-%m-%dT05:%M:%S.123456-05:00"),
        at.strftime("%Y-%m-%dT%H:%M:%S.123"),
    ]

    for spelling in spellings:
        response = await api.get(f"/v2/evses/{evse.evse_uid}/status_logs/{quote(spelling)}")
        assert response.status_code == 200, (spelling, response.text)
        assert response.json() == as_json(event)


@pytest.mark.parametrize("path", ["status_logs", "command_logs", "error_logs", "ocpp_logs"])
async def test_a_missing_log_is_a_404_named_for_its_kind(
    api: httpx.AsyncClient, js: JetStreamContext, db: Database, path: str
) -> None:
    evse = await onboard(js)
    await visible(db, evse.evse_uid)

    response = await api.get(f"/v2/evses/{evse.evse_uid}/{path}/2025-01-01T00:00:00Z")

    slug = path.removesuffix("s").replace("_", "-") + "-not-found"
    body = assert_problem(response, 404, slug)
    assert "2025-01-01T00:00:00.000Z" in str(body["detail"])


@pytest.mark.parametrize(
    ("url", "loc"),
    [
        ("/status_logs/yesterday", "path.sampled_at"),
        ("/command_logs/2025-13-01T00:00:00Z", "path.logged_at"),
        ("/error_logs?from=not-a-time", "query.from"),
        ("/ocpp_logs?to=2025-01-01T25:00Z", "query.to"),
    ],
)
async def test_a_malformed_timestamp_is_a_400_problem(
    api: httpx.AsyncClient, js: JetStreamContext, db: Database, url: str, loc: str
) -> None:
    evse = await onboard(js)
    await visible(db, evse.evse_uid)

    body = assert_problem(
        await api.get(f"/v2/evses/{evse.evse_uid}{url}"), 400, "invalid-timestamp"
    )

    assert [e["loc"] for e in body["errors"]] == [loc]  # type: ignore[attr-defined]


@pytest.mark.parametrize("evse_id", ["evse01JD7ZZZZZZZZZZZZZZZZZZZZZ", "99999999", "9" * 18])
async def test_an_unknown_evse_is_a_404_problem(api: httpx.AsyncClient, evse_id: str) -> None:
    for path in ("status_logs", "ocpp_logs/2025-01-01T00:00:00Z", "connectivity"):
        assert_problem(await api.get(f"/v2/evses/{evse_id}/{path}"), 404, "evse-not-found")


@pytest.mark.parametrize("evse_id", ["123456789012345678901234", "evse-nope", "evse01jd7zzzz"])
async def test_an_evse_id_breaking_its_pattern_is_a_400_problem(
    api: httpx.AsyncClient, evse_id: str
) -> None:
    for path in ("status_logs", "ocpp_logs/2025-01-01T00:00:00Z", "connectivity"):
        body = assert_problem(
            await api.get(f"/v2/evses/{evse_id}/{path}"), 400, "validation-failed"
        )
        assert [e["loc"] for e in body["errors"]] == ["path.evse_id"]  # type: ignore[attr-defined]


async def test_pagination_walks_every_row_once_in_order_within_from_and_to(
    api: httpx.AsyncClient, js: JetStreamContext, db: Database
) -> None:
    evse = await onboard(js)
    start = base_time()
    events = [status(evse.evse_uid, start + timedelta(seconds=i)) for i in range(57)]
    for event in events:
        await publish_event(js, event)
    await visible(db, evse.evse_uid)
    await stored(db, "status_logs", evse.evse_uid, 57)
    window = events[5:45]
    params = {"from": timestamp_of(window[0]), "to": timestamp_of(window[-1]), "limit": "7"}

    seen: list[object] = []
    url: str | None = f"/v2/evses/{evse.evse_uid}/status_logs"
    pages = 0
    while url is not None:
        response = await api.get(url, params=params if pages == 0 else None)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["results"]) <= 7
        seen.extend(body["results"])
        url = body["next"]
        pages += 1

    assert seen == [as_json(e) for e in reversed(window)]
    assert pages == 6


async def test_a_tampered_cursor_is_a_400_problem(
    api: httpx.AsyncClient, js: JetStreamContext, db: Database
) -> None:
    evse = await onboard(js)
    await visible(db, evse.evse_uid)
    response = await api.get(
        f"/v2/evses/{evse.evse_uid}/status_logs", params={"cursor": "eyJiZWZvcmUiOiJ4In0"}
    )
    assert_problem(response, 400, "invalid-cursor")


async def test_openapi_documents_the_log_routes(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    for path in (
        "/v2/evses/{evse_id}/status_logs",
        "/v2/evses/{evse_id}/status_logs/{sampled_at}",
        "/v2/evses/{evse_id}/command_logs",
        "/v2/evses/{evse_id}/command_logs/{logged_at}",
        "/v2/evses/{evse_id}/error_logs",
        "/v2/evses/{evse_id}/error_logs/{sampled_at}",
        "/v2/evses/{evse_id}/ocpp_logs",
        "/v2/evses/{evse_id}/ocpp_logs/{sampled_at}",
        "/v2/evses/{evse_id}/connectivity",
    ):
        assert "get" in paths[path]


async def test_connectivity_reports_signal_sim_and_reliability(
    api: httpx.AsyncClient, js: JetStreamContext, db: Database
) -> None:
    evse = await onboard(js)
    start = base_time()
    link = ConnectivitySample(
        connection_type="cellular",
        signal_strength_dbm=-78,
        iccid="8944501234567890123",
        carrier="Vodafone",
        data_used_bytes_month=52_428_800,
        firmware_version="2.4.1",
    )
    pattern = [True, True, False, True, False, False, True, True]
    events = [
        status(evse.evse_uid, start + timedelta(minutes=i), online=up, connectivity=link)
        for i, up in enumerate(pattern)
    ]
    for event in events:
        await publish_event(js, event)
    await visible(db, evse.evse_uid)
    await stored(db, "status_logs", evse.evse_uid, len(events))

    response = await api.get(f"/v2/evses/{evse.evse_uid}/connectivity")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["connection_type"] == "cellular"
    assert body["signal_strength"] == {"dbm": -78.0, "quality": "good"}
    assert body["sim"] == {
        "iccid": "8944501234567890123",
        "carrier": "Vodafone",
        "data_used_bytes_month": 52_428_800,
    }
    assert body["firmware"]["version"] == "2.4.1"
    assert body["firmware"]["newer_version_available"] is None  # no catalogue on this bus
    assert body["reliability"] == {
        "online_ratio_24h": 5 / 8,
        "online_ratio_7d": 5 / 8,
        "last_seen_at": timestamp_of(events[-1]),
        "disconnect_count_7d": 2,
    }
    assert body["sampled_at"] == timestamp_of(events[-1])


async def test_connectivity_of_an_evse_that_never_reported_is_empty(
    api: httpx.AsyncClient, js: JetStreamContext, db: Database
) -> None:
    evse = await onboard(js)
    await visible(db, evse.evse_uid)

    body = (await api.get(f"/v2/evses/{evse.evse_uid}/connectivity")).json()

    assert body["signal_strength"] is None and body["sampled_at"] is None
    assert body["reliability"]["online_ratio_24h"] is None
    assert body["reliability"]["disconnect_count_7d"] == 0


async def test_the_list_query_is_a_range_scan_of_the_key_index(
    js: JetStreamContext, db: Database, api: httpx.AsyncClient
) -> None:
    evse = await onboard(js)
    start = base_time()
    for i in range(20):
        await publish_event(js, status(evse.evse_uid, start + timedelta(seconds=i)))
        await publish_event(js, command(evse.evse_uid, start + timedelta(seconds=i)))
    await stored(db, "status_logs", evse.evse_uid, 20)
    await stored(db, "command_logs", evse.evse_uid, 20)

    for kind, field in (("status", "sampled_at"), ("command", "logged_at")):
        query = ListQuery(
            kind=kind,  # type: ignore[arg-type]
            evse_uid=evse.evse_uid,
            since=start,
            until=start + timedelta(seconds=15),
            before=start + timedelta(seconds=10),
            limit=5,
        )
        cursor = db[collection_name(query.kind)].find(query.filter()).sort(query.sort())
        plan = json.dumps((await cursor.limit(5).explain())["queryPlanner"], default=str)

        assert '"stage": "IXSCAN"' in plan
        assert f'"keyPattern": {{"evse_uid": 1, "{field}": 1}}' in plan
        assert "COLLSCAN" not in plan
        assert '"stage": "SKIP"' not in plan


async def test_retention_is_a_ttl_index_beside_the_unique_key(db: Database) -> None:
    for collection, field in (
        ("status_logs", "sampled_at"),
        ("command_logs", "logged_at"),
        ("error_logs", "sampled_at"),
        ("ocpp_logs", "sampled_at"),
    ):
        indexes = await db[collection].index_information()
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


async def ask_status_logs(nc: NatsClient, evse_id: str, principal: Principal | None) -> Page[Any]:
    headers = {} if principal is None else {PRINCIPAL_HEADER: principal.model_dump_json()}
    bus = BusClient(nc, timeout_s=5)
    return await bus.request(STATUS_LOGS_LIST, ListLogs(evse_id=evse_id), headers=headers)


async def test_an_application_reads_its_evses_and_a_user_only_their_own(
    nc: NatsClient, js: JetStreamContext, db: Database
) -> None:
    app, other_app = new_uid("app"), new_uid("app")
    owner, neighbour = new_uid("user"), new_uid("user")
    evse = await onboard(js, application_uid=app, user_uid=owner)
    await publish_event(js, status(evse.evse_uid, base_time()))
    await visible(db, evse.evse_uid)
    await stored(db, "status_logs", evse.evse_uid, 1)
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
        page = await ask_status_logs(nc, evse.evse_uid, principal)
        assert len(page.results) == 1, principal
    for principal in denied:
        with pytest.raises(RemoteProblem) as caught:
            await ask_status_logs(nc, str(evse.evse_id), principal)
        assert caught.value.problem.slug == "evse-not-found", principal
    with pytest.raises(RemoteProblem) as anonymous:
        await ask_status_logs(nc, evse.evse_uid, None)
    assert anonymous.value.problem.slug == "unauthorized"


async def test_a_decommissioned_evse_keeps_its_logs_but_reads_are_404(
    api: httpx.AsyncClient, js: JetStreamContext, db: Database
) -> None:
    evse = await onboard(js)
    await publish_event(js, status(evse.evse_uid, base_time()))
    await visible(db, evse.evse_uid)
    await stored(db, "status_logs", evse.evse_uid, 1)
    assert (await api.get(f"/v2/evses/{evse.evse_uid}/status_logs")).status_code == 200

    await decommission(js, evse)

    async def gone() -> bool:
        response = await api.get(f"/v2/evses/{evse.evse_uid}/status_logs")
        return response.status_code == 404

    await eventually(gone)
    assert_problem(await api.get(f"/v2/evses/{evse.evse_id}/connectivity"), 404, "evse-not-found")
    assert await db["status_logs"].count_documents({"evse_uid": evse.evse_uid}) == 1


async def test_connectivity_asks_the_catalogue_whether_newer_firmware_exists(
    api: httpx.AsyncClient,
    js: JetStreamContext,
    nc: NatsClient,
    db: Database,
    module_nats: NatsServer,
    mongodb_url: str,
    database_name: str,
) -> None:
    model_uid = load_seed()["evse_models"][0]["uid"]
    async with running_catalogue(
        nats_url=module_nats.url, mongodb_url=mongodb_url, database=database_name
    ):
        # Whatever the catalogue lists for the model decides the answer; a catalogue that
        # does not serve firmware versions yet makes it unknown (null), not an error.
        try:
            listed: tuple[EvseFirmwareVersion, ...] | None = (
                await BusClient(nc, timeout_s=5).request(
                    EVSE_FIRMWARE_VERSIONS_LIST,
                    ListEvseFirmwareVersions(evse_model_id=model_uid, limit=500),
                )
            ).results
        except ServiceUnavailable:
            listed = None
        oldest = min(listed or (), key=lambda v: v.release_date, default=None)
        running_version = oldest.version if oldest else "0.0.1"
        evse = await onboard(js, evse_model_uid=model_uid)
        link = ConnectivitySample(firmware_version=running_version)
        await publish_event(js, status(evse.evse_uid, base_time(), connectivity=link))
        await visible(db, evse.evse_uid)
        await stored(db, "status_logs", evse.evse_uid, 1)
        # The snapshot is merged just after the logs are stored (ingest.py): ask until it is.
        for _ in range(400):
            response = await api.get(f"/v2/evses/{evse.evse_uid}/connectivity")
            if response.status_code != 200 or response.json()["firmware"]["version"]:
                break
            await asyncio.sleep(0.025)

    assert response.status_code == 200, response.text
    firmware = response.json()["firmware"]
    assert firmware["version"] == running_version
    if listed is None:
        assert firmware["newer_version_available"] is None
    elif oldest is None:
        assert firmware["newer_version_available"] is False
    else:
        newest = max(listed, key=lambda v: (v.release_date, v.version))
        assert firmware["newer_version_available"] is (newest.release_date > oldest.release_date)
        assert firmware["latest_version"] == newest.version


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


async def test_a_late_onboarded_event_does_not_undo_a_later_reconnection(
    nc: NatsClient, js: JetStreamContext, db: Database
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
    await js.publish(EVSE_RECONNECTED, reconnected.model_dump_json().encode())
    await js.publish(EVSE_ONBOARDED, onboarded.model_dump_json().encode())

    async def model_known() -> bool:
        doc = await db["evse_access"].find_one({"_id": onboarded.evse_uid})
        return doc is not None and "evse_model_uid" in doc

    await eventually(model_known)
    owner = Principal(kind="user", application_uid=app, user_uid=second_user)
    assert (await ask_status_logs(nc, "987654", owner)).results == ()
    with pytest.raises(RemoteProblem):
        previous = Principal(kind="user", application_uid=app, user_uid=first_user)
        await ask_status_logs(nc, onboarded.evse_uid, previous)


async def test_an_event_reusing_a_legacy_id_is_dead_lettered_without_blocking_the_rest(
    js: JetStreamContext, db: Database
) -> None:
    first = await onboard(js)
    await visible(db, first.evse_uid)
    dead = await js.subscribe("deadletter.EVSE_EVENTS", ordered_consumer=True)
    clash = EvseDecommissioned(
        evse_uid=new_uid("evse"),
        evse_id=first.evse_id,
        application_uid=first.application_uid,
        occurred_at=first.occurred_at,
    )
    await js.publish(EVSE_DECOMMISSIONED, clash.model_dump_json().encode())
    after = await onboard(js)
    await visible(db, after.evse_uid)
    letter = await dead.next_msg(timeout=10)
    assert json.loads(letter.data)["evse_uid"] == clash.evse_uid
    assert "conflicts" in (letter.headers or {})[DEADLETTER_REASON_HEADER]
