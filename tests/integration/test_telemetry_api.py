"""Events on JetStream → telemetry → MongoDB-protocol server; read back through the gateway."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from nats.js import JetStreamContext

from evse_contracts.telemetry import (
    StatusLog,
    TelemetryEvent,
    publish_event,
    timestamp_of,
)
from evse_runtime.mongo import Database
from tests.utils.polling import until
from tests.utils.problems import assert_problem
from tests.utils.telemetry import (
    base_time,
    command,
    decommission,
    error,
    ocpp,
    onboard,
    status,
    stored,
    visible,
)


def as_json(event: StatusLog) -> object:
    return json.loads(event.model_dump_json())


async def test_a_batch_of_status_logs_reads_back_newest_first(
    telemetry_api: httpx.AsyncClient, telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    evse = await onboard(telemetry_js)
    start = base_time()
    events = [
        status(evse.evse_uid, start + timedelta(seconds=i), power_w=1000.0 + i) for i in range(30)
    ]
    for event in events:
        await publish_event(telemetry_js, event)
    await visible(telemetry_db, evse.evse_uid)
    await stored(telemetry_db, "status_logs", evse.evse_uid, 30)

    response = await telemetry_api.get(
        f"/v2/evses/{evse.evse_uid}/status_logs", params={"limit": 500}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["results"] == [as_json(e) for e in reversed(events)]
    assert body["next"] is None


async def test_the_legacy_integer_id_reads_the_same_logs(
    telemetry_api: httpx.AsyncClient, telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    evse = await onboard(telemetry_js)
    await publish_event(telemetry_js, status(evse.evse_uid, base_time()))
    await visible(telemetry_db, evse.evse_uid)
    await stored(telemetry_db, "status_logs", evse.evse_uid, 1)

    by_uid = await telemetry_api.get(f"/v2/evses/{evse.evse_uid}/status_logs")
    by_id = await telemetry_api.get(f"/v2/evses/{evse.evse_id}/status_logs")

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
    telemetry_api: httpx.AsyncClient,
    telemetry_js: JetStreamContext,
    telemetry_db: Database,
    path: str,
    build: Callable[[str, datetime], TelemetryEvent],
    collection: str,
) -> None:
    evse = await onboard(telemetry_js)
    event = build(evse.evse_uid, base_time())
    await publish_event(telemetry_js, event)
    await visible(telemetry_db, evse.evse_uid)
    await stored(telemetry_db, collection, evse.evse_uid, 1)
    expected = json.loads(event.model_dump_json())

    listed = await telemetry_api.get(f"/v2/evses/{evse.evse_uid}/{path}")
    one = await telemetry_api.get(f"/v2/evses/{evse.evse_uid}/{path}/{timestamp_of(event)}")

    assert listed.json()["results"] == [expected]
    assert one.status_code == 200, one.text
    assert one.json() == expected


async def test_the_same_instant_in_any_offset_finds_the_same_log(
    telemetry_api: httpx.AsyncClient, telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    evse = await onboard(telemetry_js)
    at = base_time().replace(hour=10, minute=15, second=30, microsecond=123_000)
    event = status(evse.evse_uid, at)
    await publish_event(telemetry_js, event)
    await visible(telemetry_db, evse.evse_uid)
    await stored(telemetry_db, "status_logs", evse.evse_uid, 1)
    spellings = [
        at.strftime("%Y-%m-%dT%H:%M:%S.123Z"),
        at.strftime("%Y-%m-%dT12:%M:%S.123+02:00"),
        at.strftime("%Y-%m-%dT05:%M:%S.123456-05:00"),
        at.strftime("%Y-%m-%dT%H:%M:%S.123"),
    ]

    for spelling in spellings:
        response = await telemetry_api.get(
            f"/v2/evses/{evse.evse_uid}/status_logs/{quote(spelling)}"
        )
        assert response.status_code == 200, (spelling, response.text)
        assert response.json() == as_json(event)


@pytest.mark.parametrize("path", ["status_logs", "command_logs", "error_logs", "ocpp_logs"])
async def test_a_missing_log_is_a_404_named_for_its_kind(
    telemetry_api: httpx.AsyncClient,
    telemetry_js: JetStreamContext,
    telemetry_db: Database,
    path: str,
) -> None:
    evse = await onboard(telemetry_js)
    await visible(telemetry_db, evse.evse_uid)

    response = await telemetry_api.get(f"/v2/evses/{evse.evse_uid}/{path}/2025-01-01T00:00:00Z")

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
    telemetry_api: httpx.AsyncClient,
    telemetry_js: JetStreamContext,
    telemetry_db: Database,
    url: str,
    loc: str,
) -> None:
    evse = await onboard(telemetry_js)
    await visible(telemetry_db, evse.evse_uid)

    body = assert_problem(
        await telemetry_api.get(f"/v2/evses/{evse.evse_uid}{url}"), 400, "invalid-timestamp"
    )

    assert [e["loc"] for e in body["errors"]] == [loc]


@pytest.mark.parametrize("evse_id", ["evse01JD7ZZZZZZZZZZZZZZZZZZZZZ", "99999999", "9" * 18])
async def test_an_unknown_evse_is_a_404_problem(
    telemetry_api: httpx.AsyncClient, evse_id: str
) -> None:
    for path in ("status_logs", "ocpp_logs/2025-01-01T00:00:00Z", "connectivity"):
        assert_problem(
            await telemetry_api.get(f"/v2/evses/{evse_id}/{path}"), 404, "evse-not-found"
        )


@pytest.mark.parametrize("evse_id", ["123456789012345678901234", "evse-nope", "evse01jd7zzzz"])
async def test_an_evse_id_breaking_its_pattern_is_a_400_problem(
    telemetry_api: httpx.AsyncClient, evse_id: str
) -> None:
    for path in ("status_logs", "ocpp_logs/2025-01-01T00:00:00Z", "connectivity"):
        body = assert_problem(
            await telemetry_api.get(f"/v2/evses/{evse_id}/{path}"), 400, "validation-failed"
        )
        assert [e["loc"] for e in body["errors"]] == ["path.evse_id"]


async def test_pagination_walks_every_row_once_in_order_within_from_and_to(
    telemetry_api: httpx.AsyncClient, telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    evse = await onboard(telemetry_js)
    start = base_time()
    events = [status(evse.evse_uid, start + timedelta(seconds=i)) for i in range(57)]
    for event in events:
        await publish_event(telemetry_js, event)
    await visible(telemetry_db, evse.evse_uid)
    await stored(telemetry_db, "status_logs", evse.evse_uid, 57)
    window = events[5:45]
    params = {"from": timestamp_of(window[0]), "to": timestamp_of(window[-1]), "limit": "7"}

    seen: list[object] = []
    url: str | None = f"/v2/evses/{evse.evse_uid}/status_logs"
    pages = 0
    while url is not None:
        response = await telemetry_api.get(url, params=params if pages == 0 else None)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["results"]) <= 7
        seen.extend(body["results"])
        url = body["next"]
        pages += 1

    assert seen == [as_json(e) for e in reversed(window)]
    assert pages == 6


async def test_a_tampered_cursor_is_a_400_problem(
    telemetry_api: httpx.AsyncClient, telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    evse = await onboard(telemetry_js)
    await visible(telemetry_db, evse.evse_uid)
    response = await telemetry_api.get(
        f"/v2/evses/{evse.evse_uid}/status_logs", params={"cursor": "eyJiZWZvcmUiOiJ4In0"}
    )
    assert_problem(response, 400, "invalid-cursor")


async def test_openapi_documents_the_log_routes(telemetry_api: httpx.AsyncClient) -> None:
    paths = (await telemetry_api.get("/openapi.json")).json()["paths"]
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


async def test_a_decommissioned_evse_keeps_its_logs_but_reads_are_404(
    telemetry_api: httpx.AsyncClient, telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    evse = await onboard(telemetry_js)
    await publish_event(telemetry_js, status(evse.evse_uid, base_time()))
    await visible(telemetry_db, evse.evse_uid)
    await stored(telemetry_db, "status_logs", evse.evse_uid, 1)
    assert (await telemetry_api.get(f"/v2/evses/{evse.evse_uid}/status_logs")).status_code == 200

    await decommission(telemetry_js, evse)

    async def gone() -> bool:
        response = await telemetry_api.get(f"/v2/evses/{evse.evse_uid}/status_logs")
        return response.status_code == 404

    await until(gone)
    assert_problem(
        await telemetry_api.get(f"/v2/evses/{evse.evse_id}/connectivity"), 404, "evse-not-found"
    )
    assert await telemetry_db["status_logs"].count_documents({"evse_uid": evse.evse_uid}) == 1
