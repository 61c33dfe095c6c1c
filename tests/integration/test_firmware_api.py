"""Firmware versions over HTTP → gateway → NATS → catalogue → MongoDB-protocol server."""

from __future__ import annotations

from typing import Any

import httpx

from evse_catalogue.seed import load_seed
from tests.utils.problems import assert_problem

SEED = load_seed()
FIRMWARE: list[dict[str, Any]] = SEED["evse_firmware_versions"]
PRODUCTION = [f for f in FIRMWARE if f["is_production"]]


def model_named(name: str) -> dict[str, Any]:
    return next(m for m in SEED["evse_models"] if m["name"] == name)


async def test_list_returns_only_production_releases_newest_first(
    catalogue_api: httpx.AsyncClient,
) -> None:
    body = (await catalogue_api.get("/v2/evse_firmware_versions", params={"limit": 500})).json()
    assert {f["uid"] for f in body["results"]} == {f["uid"] for f in PRODUCTION}
    dates = [f["release_date"] for f in body["results"]]
    assert dates == sorted(dates, reverse=True)
    assert body["next"] is None


async def test_list_filtered_by_model_puts_its_newest_production_release_first(
    catalogue_api: httpx.AsyncClient,
) -> None:
    model = model_named("Pulsar Max")
    response = await catalogue_api.get(
        "/v2/evse_firmware_versions", params={"evse_model_id": model["uid"], "limit": 1}
    )
    assert response.status_code == 200
    body = response.json()
    assert [f["version"] for f in body["results"]] == ["6.4.11"]
    assert body["next"] is not None
    rest = (await catalogue_api.get(body["next"])).json()
    assert [f["version"] for f in rest["results"]] == ["6.2.9"]


async def test_list_filtered_by_make_covers_every_model_of_the_make(
    catalogue_api: httpx.AsyncClient,
) -> None:
    easee = next(m["uid"] for m in SEED["evse_makes"] if m["name"] == "Easee")
    models = {m["uid"] for m in SEED["evse_models"] if m["evse_make_uid"] == easee}
    response = await catalogue_api.get(
        "/v2/evse_firmware_versions", params={"evse_make_id": easee, "limit": 500}
    )
    results = response.json()["results"]
    assert {f["evse_model_uid"] for f in results} == models
    assert len(results) == sum(1 for f in PRODUCTION if f["evse_model_uid"] in models)


async def test_get_returns_a_production_release(catalogue_api: httpx.AsyncClient) -> None:
    seeded = PRODUCTION[0]
    response = await catalogue_api.get(f"/v2/evse_firmware_versions/{seeded['uid']}")
    assert response.status_code == 200
    assert response.json() == seeded


async def test_get_of_a_non_production_release_is_a_404_problem(
    catalogue_api: httpx.AsyncClient,
) -> None:
    hidden = next(f for f in FIRMWARE if not f["is_production"])
    response = await catalogue_api.get(f"/v2/evse_firmware_versions/{hidden['uid']}")
    assert_problem(response, 404, "evse-firmware-version-not-found")


async def test_get_of_an_unknown_id_is_a_404_problem(catalogue_api: httpx.AsyncClient) -> None:
    response = await catalogue_api.get(
        "/v2/evse_firmware_versions/evsefw01ZZZZZZZZZZZZZZZZZZZZZZZZ"
    )
    assert_problem(response, 404, "evse-firmware-version-not-found")
