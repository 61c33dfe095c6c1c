"""HTTP → gateway → real NATS → catalogue → real MongoDB-protocol server.

Over 300 lines: reads, caching and the catalogue's failures share one module-scoped
catalogue and gateway.
"""

from __future__ import annotations

import asyncio

import httpx
import nats
import pytest

from evse_catalogue.seed import load_seed
from evse_catalogue.store import MongoCatalogueStore
from evse_contracts.catalogue import CATALOGUE_CHANGED, CATALOGUE_RELOADED, EVSE_MODELS_LIST
from evse_devstack.backends import NatsServer
from evse_runtime.mongo import open_database
from tests.utils.problems import assert_problem
from tests.utils.services import running_catalogue, running_gateway

SEED = load_seed()


async def test_list_makes_returns_the_seeded_makes(catalogue_api: httpx.AsyncClient) -> None:
    response = await catalogue_api.get("/v2/evse_makes", params={"limit": 500})
    assert response.status_code == 200
    body = response.json()
    assert {m["name"] for m in body["results"]} == {m["name"] for m in SEED["evse_makes"]}
    assert body["next"] is None


async def test_following_next_links_visits_every_model_once(
    catalogue_api: httpx.AsyncClient,
) -> None:
    uids: list[str] = []
    url: str | None = "/v2/evse_models?limit=7"
    while url is not None:
        response = await catalogue_api.get(url)
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"]) <= 7
        uids.extend(m["uid"] for m in body["results"])
        url = body["next"]
    assert uids == sorted(m["uid"] for m in SEED["evse_models"])


async def test_models_can_be_filtered_by_make(catalogue_api: httpx.AsyncClient) -> None:
    easee = next(m["uid"] for m in SEED["evse_makes"] if m["name"] == "Easee")
    response = await catalogue_api.get("/v2/evse_models", params={"evse_make_id": easee})
    names = {m["name"] for m in response.json()["results"]}
    assert names == {"Easee Home", "Easee Charge Lite", "Easee One"}


async def test_get_model_includes_make_capabilities_and_compatibility(
    catalogue_api: httpx.AsyncClient,
) -> None:
    seeded = next(m for m in SEED["evse_models"] if m["name"] == "Zaptec Go")
    response = await catalogue_api.get(f"/v2/evse_models/{seeded['uid']}")
    assert response.status_code == 200
    body = response.json()
    assert body["evse_make"]["name"] == "Zaptec"
    assert body["onboarding_method"] == "serial" and body["provider"] == "zaptec"
    assert {v["mode"] for v in body["vpp_modes"]} >= {"turn_down", "frequency_response"}
    assert {"region": "nordics", "support": "live"} in body["compatibility"]


async def test_get_make_by_uid(catalogue_api: httpx.AsyncClient) -> None:
    seeded = SEED["evse_makes"][0]
    response = await catalogue_api.get(f"/v2/evse_makes/{seeded['uid']}")
    assert response.status_code == 200
    assert response.json() == seeded


@pytest.mark.parametrize(
    ("method", "path", "slug"),
    [
        ("GET", "/v2/evse_models/evsemodel01ZZZZZZZZZZZZZZZZZZZZZZZZ", "evse-model-not-found"),
        ("GET", "/v2/evse_makes/evsemake-nope", "validation-failed"),
        ("GET", "/v2/evse_makes?cursor=bm90LWEtY3Vyc29y", "invalid-cursor"),
        ("GET", "/v2/no_such_thing", "not-found"),
        ("DELETE", "/v2/evse_makes", "method-not-allowed"),
    ],
)
async def test_a_problem_type_is_a_url_under_the_gateways_public_base_url(
    catalogue_api: httpx.AsyncClient, method: str, path: str, slug: str
) -> None:
    """The test gateway's public base URL is the one it serves on (`running_gateway`)."""
    response = await catalogue_api.request(method, path)
    url = response.request.url
    assert response.json()["type"] == f"{url.scheme}://{url.netloc.decode()}/problems/{slug}"


async def test_unknown_model_is_a_404_problem(catalogue_api: httpx.AsyncClient) -> None:
    response = await catalogue_api.get("/v2/evse_models/evsemodel01ZZZZZZZZZZZZZZZZZZZZZZZZ")
    body = assert_problem(response, 404, "evse-model-not-found")
    assert "evsemodel01ZZZZZZZZZZZZZZZZZZZZZZZZ" in str(body["detail"])


async def test_unknown_make_is_a_404_problem(catalogue_api: httpx.AsyncClient) -> None:
    response = await catalogue_api.get("/v2/evse_makes/evsemake01ZZZZZZZZZZZZZZZZZZZZZZZZ")
    assert_problem(response, 404, "evse-make-not-found")


async def test_a_make_id_breaking_its_pattern_is_a_400_problem(
    catalogue_api: httpx.AsyncClient,
) -> None:
    assert_problem(
        await catalogue_api.get("/v2/evse_makes/evsemake-nope"), 400, "validation-failed"
    )


@pytest.mark.parametrize("limit", ["0", "501", "ten"])
async def test_out_of_range_limit_is_a_400_problem_naming_the_field(
    catalogue_api: httpx.AsyncClient, limit: str
) -> None:
    body = assert_problem(
        await catalogue_api.get("/v2/evse_models", params={"limit": limit}),
        400,
        "validation-failed",
    )
    assert [e["loc"] for e in body["errors"]] == ["query.limit"]


async def test_tampered_cursor_is_a_400_problem(catalogue_api: httpx.AsyncClient) -> None:
    response = await catalogue_api.get("/v2/evse_makes", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert_problem(response, 400, "invalid-cursor")


async def test_unknown_route_is_a_404_problem(catalogue_api: httpx.AsyncClient) -> None:
    assert_problem(await catalogue_api.get("/v2/no_such_thing"), 404, "not-found")


async def test_wrong_method_is_a_405_problem(catalogue_api: httpx.AsyncClient) -> None:
    assert_problem(await catalogue_api.delete("/v2/evse_makes"), 405, "method-not-allowed")


async def test_request_id_is_echoed_or_generated(catalogue_api: httpx.AsyncClient) -> None:
    echoed = await catalogue_api.get("/v2/evse_makes", headers={"x-request-id": "trace-42"})
    assert echoed.headers["x-request-id"] == "trace-42"
    generated = await catalogue_api.get(
        "/v2/evse_makes", headers={"x-request-id": "bad id\twith tab"}
    )
    assert len(generated.headers["x-request-id"]) == 32


async def test_openapi_documents_the_catalogue_routes(catalogue_api: httpx.AsyncClient) -> None:
    paths = (await catalogue_api.get("/openapi.json")).json()["paths"]
    for path in (
        "/v2/evse_makes",
        "/v2/evse_makes/{evse_make_id}",
        "/v2/evse_models",
        "/v2/evse_models/{evse_model_id}",
    ):
        assert "get" in paths[path]
    assert (await catalogue_api.get("/docs")).status_code == 200


async def test_new_catalogue_data_is_served_after_a_change_event(
    catalogue_api: httpx.AsyncClient, catalogue_database: str, nats_url: str, mongodb_url: str
) -> None:
    make = {
        "uid": "evsemake01KZZZZZZZZZZZZZZZZZZZZZZZ",
        "name": "Test Make",
        "website": "https://example.com",
        "headquarters_country": "SE",
    }
    async with open_database(mongodb_url, catalogue_database) as db:
        await MongoCatalogueStore(db).upsert_makes([make])
    assert (await catalogue_api.get(f"/v2/evse_makes/{make['uid']}")).status_code == 404
    nc = await nats.connect(nats_url)
    reloaded = await nc.subscribe(CATALOGUE_RELOADED)
    await nc.publish(CATALOGUE_CHANGED, b"{}")
    # The catalogue serves the new data before it says so: waiting for the word keeps the
    # gateway's cache drop from landing in the next test.
    await reloaded.next_msg(timeout=30)
    await nc.drain()
    response = await catalogue_api.get(f"/v2/evse_makes/{make['uid']}")
    assert response.json() == make


async def test_a_revalidation_is_answered_304_without_asking_the_catalogue(
    catalogue_api: httpx.AsyncClient, nats_url: str
) -> None:
    nc = await nats.connect(nats_url)
    asked = await nc.subscribe(EVSE_MODELS_LIST.subject)
    first = await catalogue_api.get("/v2/evse_models", params={"limit": 7})
    assert first.status_code == 200
    assert first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await catalogue_api.get(
            "/v2/evse_models", params={"limit": 7}, headers={"If-None-Match": if_none_match}
        )
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
    stale = await catalogue_api.get(
        "/v2/evse_models", params={"limit": 7}, headers={"If-None-Match": '"other"'}
    )
    assert stale.status_code == 200
    assert stale.content == first.content
    await nc.flush()
    assert asked.pending_msgs <= 1
    await asked.unsubscribe()  # a drain would wait on its unread message
    await nc.close()


async def test_a_held_body_is_answered_as_the_route_answered_it(
    catalogue_api: httpx.AsyncClient,
) -> None:
    path = f"/v2/evse_models/{SEED['evse_models'][1]['uid']}"
    first, held = await catalogue_api.get(path), await catalogue_api.get(path)
    assert held.status_code == first.status_code == 200
    assert held.content == first.content
    for header in ("content-type", "content-length", "etag", "cache-control"):
        assert held.headers[header] == first.headers[header]
    assert held.headers["x-request-id"] != first.headers["x-request-id"]
    assert_problem(await catalogue_api.get(f"{path[:-1]}Z"), 404, "evse-model-not-found")


async def test_a_reloaded_catalogue_replaces_the_cached_bodies(
    catalogue_api: httpx.AsyncClient, catalogue_database: str, nats_url: str, mongodb_url: str
) -> None:
    make = {
        "uid": "evsemake01KYYYYYYYYYYYYYYYYYYYYYYY",
        "name": "Cached Make",
        "website": "https://example.com",
        "headquarters_country": "NO",
    }
    listed = await catalogue_api.get("/v2/evse_makes", params={"limit": 500})
    async with open_database(mongodb_url, catalogue_database) as db:
        await MongoCatalogueStore(db).upsert_makes([make])
    assert (
        await catalogue_api.get("/v2/evse_makes", params={"limit": 500})
    ).content == listed.content
    nc = await nats.connect(nats_url)
    await nc.publish(CATALOGUE_CHANGED, b"{}")
    await nc.drain()
    for _ in range(200):
        fresh = await catalogue_api.get(
            "/v2/evse_makes",
            params={"limit": 500},
            headers={"If-None-Match": listed.headers["etag"]},
        )
        if fresh.status_code == 200:
            break
        await asyncio.sleep(0.05)
    assert make in fresh.json()["results"]
    assert fresh.headers["etag"] != listed.headers["etag"]


async def test_seeding_twice_stores_each_entry_once(
    mongodb_url: str, nats_url: str, database_name: str
) -> None:
    for _ in range(2):
        async with running_catalogue(
            nats_url=nats_url, mongodb_url=mongodb_url, database=database_name
        ):
            pass
    async with open_database(mongodb_url, database_name) as db:
        assert await db["evse_models"].count_documents({}) == len(SEED["evse_models"])
        assert await db["evse_makes"].count_documents({}) == len(SEED["evse_makes"])


async def test_gateway_answers_503_at_once_when_catalogue_is_not_running(
    private_nats: NatsServer,
) -> None:
    async with (
        running_gateway(nats_url=private_nats.url, request_timeout_s=600) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        body = assert_problem(await client.get("/v2/evse_models"), 503, "service-unavailable")
    assert body["detail"] == "no catalogue service is running"


async def test_gateway_recovers_when_catalogue_comes_back(
    private_nats: NatsServer, mongodb_url: str, database_name: str
) -> None:
    async with (
        running_gateway(nats_url=private_nats.url) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        async with running_catalogue(
            nats_url=private_nats.url, mongodb_url=mongodb_url, database=database_name
        ):
            assert (await client.get("/v2/evse_makes")).status_code == 200
        assert (await client.get("/v2/evse_makes")).status_code == 200, "served from the cache"
        uncached = await client.get("/v2/evse_makes", params={"limit": 3})
        assert_problem(uncached, 503, "service-unavailable")


async def test_readiness_names_the_services_not_answering(catalogue_api: httpx.AsyncClient) -> None:
    assert (await catalogue_api.get("/healthz")).json() == {"status": "ok"}
    body = assert_problem(await catalogue_api.get("/readyz"), 503, "service-unavailable")
    assert "catalogue" not in str(body["detail"])
    assert "telemetry" in str(body["detail"])


async def test_gateway_readiness_follows_its_nats_connection_not_the_services(
    private_nats: NatsServer,
) -> None:
    async with (
        running_gateway(nats_url=private_nats.url) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        assert_problem(await client.get("/readyz"), 503, "service-unavailable")
        assert (await client.get("/readyz/gateway")).json() == {"status": "ready"}
        private_nats.stop()
        for _ in range(200):  # until the client notices the closed socket
            response = await client.get("/readyz/gateway")
            if response.status_code != 200:
                break
            await asyncio.sleep(0.025)
        assert_problem(response, 503, "service-unavailable")
        private_nats.start()
