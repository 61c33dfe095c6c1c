"""Firmware versions over HTTP → gateway → NATS → catalogue → MongoDB-protocol server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from evse_catalogue.seed import load_seed
from evse_runtime.mongo import open_database
from tests.utils.problems import assert_problem
from tests.utils.services import running_catalogue, running_gateway

SEED = load_seed()
FIRMWARE: list[dict[str, Any]] = SEED["evse_firmware_versions"]
PRODUCTION = [f for f in FIRMWARE if f["is_production"]]


@pytest_asyncio.fixture(scope="module")
async def api(nats_url: str, mongodb_url: str) -> AsyncIterator[httpx.AsyncClient]:
    database = "test_firmware_api"
    async with open_database(mongodb_url, database) as db:
        await db.client.drop_database(database)
    async with (
        running_catalogue(nats_url=nats_url, mongodb_url=mongodb_url, database=database),
        running_gateway(nats_url=nats_url) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        yield client


def model_named(name: str) -> dict[str, Any]:
    return next(m for m in SEED["evse_models"] if m["name"] == name)


async def test_list_returns_only_production_releases_newest_first(
    api: httpx.AsyncClient,
) -> None:
    body = (await api.get("/v2/evse_firmware_versions", params={"limit": 500})).json()
    assert {f["uid"] for f in body["results"]} == {f["uid"] for f in PRODUCTION}
    dates = [f["release_date"] for f in body["results"]]
    assert dates == sorted(dates, reverse=True)
    assert body["next"] is None


async def test_list_filtered_by_model_puts_its_newest_production_release_first(
    api: httpx.AsyncClient,
) -> None:
    model = model_named("Pulsar Max")
    response = await api.get(
        "/v2/evse_firmware_versions", params={"evse_model_id": model["uid"], "limit": 1}
    )
    assert response.status_code == 200
    body = response.json()
    assert [f["version"] for f in body["results"]] == ["6.4.11"]
    assert body["next"] is not None
    rest = (await api.get(body["next"])).json()
    assert [f["version"] for f in rest["results"]] == ["6.2.9"]


async def test_list_filtered_by_make_covers_every_model_of_the_make(
    api: httpx.AsyncClient,
) -> None:
    easee = next(m["uid"] for m in SEED["evse_makes"] if m["name"] == "Easee")
    models = {m["uid"] for m in SEED["evse_models"] if m["evse_make_uid"] == easee}
    response = await api.get(
        "/v2/evse_firmware_versions", params={"evse_make_id": easee, "limit": 500}
    )
    results = response.json()["results"]
    assert {f["evse_model_uid"] for f in results} == models
    assert len(results) == sum(1 for f in PRODUCTION if f["evse_model_uid"] in models)


async def test_get_returns_a_production_release(api: httpx.AsyncClient) -> None:
    seeded = PRODUCTION[0]
    response = await api.get(f"/v2/evse_firmware_versions/{seeded['uid']}")
    assert response.status_code == 200
    assert response.json() == seeded


async def test_get_of_a_non_production_release_is_a_404_problem(api: httpx.AsyncClient) -> None:
    hidden = next(f for f in FIRMWARE if not f["is_production"])
    response = await api.get(f"/v2/evse_firmware_versions/{hidden['uid']}")
    assert_problem(response, 404, "evse-firmware-version-not-found")


async def test_get_of_an_unknown_id_is_a_404_problem(api: httpx.AsyncClient) -> None:
    response = await api.get("/v2/evse_firmware_versions/evsefw01ZZZZZZZZZZZZZZZZZZZZZZZZ")
    assert_problem(response, 404, "evse-firmware-version-not-found")
