"""The compatibility check and programs, through the real stack."""

from __future__ import annotations

from typing import Any

import httpx
import nats
import pytest

from evse_catalogue.seed import load_seed
from evse_contracts.catalogue import PROGRAMS_GET, PROGRAMS_LIST, GetProgram, ListPrograms
from evse_runtime.bus_client import BusClient, RemoteProblem
from tests.utils.problems import assert_problem, error_locations

SEED = load_seed()
CHECK = "/v2/evse_compatibility/check"
INVALID = "validation-failed-evse-compatibility-check"


def model(name: str) -> str:
    uid: str = next(m["uid"] for m in SEED["evse_models"] if m["name"] == name)
    return uid


def program(country: str) -> dict[str, Any]:
    return next(p for p in SEED["programs"] if p["country"] == country)


ZAPTEC_GO = model("Zaptec Go")  # nordics, europe, great_britain live; oceania beta
EO_MINI_PRO_3 = model("EO Mini Pro 3")  # great_britain beta
EMPORIA = model("Smart EV Charger (48 A)")  # north_america beta, in no US program


async def check(
    catalogue_api: httpx.AsyncClient, accept_language: str | None = None, **params: str
) -> dict[str, Any]:
    headers = {} if accept_language is None else {"accept-language": accept_language}
    response = await catalogue_api.get(CHECK, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_country_query_is_used_and_echoed(catalogue_api: httpx.AsyncClient) -> None:
    body = await check(catalogue_api, evse_model_id=ZAPTEC_GO, country="GB")
    assert body == {
        "evse_model_id": ZAPTEC_GO,
        "program_id": None,
        "country": "GB",
        "country_source": "query",
        "region": "great_britain",
        "supported": True,
        "support": "live",
    }


async def test_country_query_wins_over_accept_language(catalogue_api: httpx.AsyncClient) -> None:
    body = await check(catalogue_api, "nb-NO", evse_model_id=ZAPTEC_GO, country="au")
    assert (body["country"], body["country_source"], body["region"]) == ("AU", "query", "oceania")


async def test_accept_language_gives_the_country_of_the_most_preferred_tag_with_a_region(
    catalogue_api: httpx.AsyncClient,
) -> None:
    body = await check(catalogue_api, "en;q=1, fr-FR;q=0.5, nb-NO;q=0.9", evse_model_id=ZAPTEC_GO)
    assert (body["country"], body["country_source"]) == ("NO", "accept_language")
    assert (body["region"], body["supported"], body["support"]) == ("nordics", True, "live")


async def test_without_country_or_region_tag_the_default_is_us(
    catalogue_api: httpx.AsyncClient,
) -> None:
    body = await check(catalogue_api, "en, fr;q=0.8", evse_model_id=ZAPTEC_GO)
    assert (body["country"], body["country_source"], body["region"]) == (
        "US",
        "default",
        "north_america",
    )


async def test_without_any_hint_the_default_is_us(catalogue_api: httpx.AsyncClient) -> None:
    body = await check(catalogue_api, evse_model_id=ZAPTEC_GO)
    assert (body["country"], body["country_source"]) == ("US", "default")


async def test_beta_support_is_reported_as_beta(catalogue_api: httpx.AsyncClient) -> None:
    body = await check(catalogue_api, evse_model_id=EO_MINI_PRO_3, country="GB")
    assert (body["supported"], body["support"]) == (True, "beta")


async def test_a_region_the_model_does_not_list_is_unsupported(
    catalogue_api: httpx.AsyncClient,
) -> None:
    body = await check(catalogue_api, evse_model_id=EO_MINI_PRO_3, country="US")
    assert (body["region"], body["supported"], body["support"]) == ("north_america", False, None)


async def test_a_country_in_no_region_is_unsupported(catalogue_api: httpx.AsyncClient) -> None:
    body = await check(catalogue_api, evse_model_id=ZAPTEC_GO, country="JP")
    assert (body["country"], body["region"], body["supported"], body["support"]) == (
        "JP",
        None,
        False,
        None,
    )


async def test_program_country_overrides_query_and_accept_language(
    catalogue_api: httpx.AsyncClient,
) -> None:
    australian = program("AU")
    body = await check(
        catalogue_api, "en-GB", evse_model_id=ZAPTEC_GO, country="GB", program_id=australian["uid"]
    )
    assert body == {
        "evse_model_id": ZAPTEC_GO,
        "program_id": australian["uid"],
        "country": "AU",
        "country_source": "program",
        "region": "oceania",
        "supported": True,
        "support": "beta",
    }


async def test_a_model_outside_the_program_is_unsupported_even_where_its_region_is(
    catalogue_api: httpx.AsyncClient,
) -> None:
    american = program("US")
    assert EMPORIA not in american["supported_evse_models"]
    without = await check(catalogue_api, evse_model_id=EMPORIA, country="US")
    assert (without["supported"], without["support"]) == (True, "beta")
    within = await check(catalogue_api, evse_model_id=EMPORIA, program_id=american["uid"])
    assert (within["region"], within["supported"], within["support"]) == (
        "north_america",
        False,
        None,
    )


async def test_missing_model_id_is_a_400_problem(catalogue_api: httpx.AsyncClient) -> None:
    body = assert_problem(await catalogue_api.get(CHECK, params={"country": "GB"}), 400, INVALID)
    assert error_locations(body) == {"query.evse_model_id"}


@pytest.mark.parametrize(
    "model_id", ["", "abc", "evsemodel01", "evsemake01M89P5KYPBVZJK1MEFEQY31NZ"]
)
async def test_malformed_model_id_is_a_400_problem(
    catalogue_api: httpx.AsyncClient, model_id: str
) -> None:
    response = await catalogue_api.get(CHECK, params={"evse_model_id": model_id})
    assert error_locations(assert_problem(response, 400, INVALID)) == {"query.evse_model_id"}


@pytest.mark.parametrize("country", ["XX", "GBR", "1", "", "U$"])
async def test_unknown_or_malformed_country_is_a_400_problem(
    catalogue_api: httpx.AsyncClient, country: str
) -> None:
    response = await catalogue_api.get(
        CHECK, params={"evse_model_id": ZAPTEC_GO, "country": country}
    )
    assert error_locations(assert_problem(response, 400, INVALID)) == {"query.country"}


async def test_oversized_parameter_is_a_400_problem_of_the_same_type(
    catalogue_api: httpx.AsyncClient,
) -> None:
    response = await catalogue_api.get(
        CHECK, params={"evse_model_id": ZAPTEC_GO, "country": "G" * 65}
    )
    assert error_locations(assert_problem(response, 400, INVALID)) == {"query.country"}


async def test_every_invalid_parameter_is_reported_at_once(
    catalogue_api: httpx.AsyncClient,
) -> None:
    response = await catalogue_api.get(CHECK, params={"evse_model_id": "nope", "country": "ZZ"})
    body = assert_problem(response, 400, INVALID)
    assert error_locations(body) == {"query.evse_model_id", "query.country"}


async def test_unknown_model_is_a_404_problem(catalogue_api: httpx.AsyncClient) -> None:
    unknown = "evsemodel01ZZZZZZZZZZZZZZZZZZZZZZZZ"
    response = await catalogue_api.get(CHECK, params={"evse_model_id": unknown})
    assert unknown in assert_problem(response, 404, "evse-model-not-found")["detail"]


async def test_unknown_program_is_a_404_problem(catalogue_api: httpx.AsyncClient) -> None:
    response = await catalogue_api.get(
        CHECK,
        params={"evse_model_id": ZAPTEC_GO, "program_id": "program01ZZZZZZZZZZZZZZZZZZZZZZZZ"},
    )
    assert_problem(response, 404, "program-not-found")


async def test_other_services_read_programs_over_the_bus(
    catalogue_api: httpx.AsyncClient, nats_url: str
) -> None:
    nc = await nats.connect(nats_url)
    try:
        bus = BusClient(nc, timeout_s=30)
        norwegian = program("NO")
        got = await bus.request(PROGRAMS_GET, GetProgram(uid=norwegian["uid"]))
        assert got.model_dump(mode="json") == norwegian
        page = await bus.request(PROGRAMS_LIST, ListPrograms(country="NO"))
        assert [p.uid for p in page.results] == [norwegian["uid"]]
        with pytest.raises(RemoteProblem) as raised:
            await bus.request(PROGRAMS_GET, GetProgram(uid="program-nope"))
        assert (raised.value.problem.slug, raised.value.problem.status) == (
            "program-not-found",
            404,
        )
    finally:
        await nc.drain()
