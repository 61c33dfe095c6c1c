"""The EVSE waitlist, through the real stack."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from evse_catalogue.seed import load_seed
from evse_contracts.compatibility import ACCEPT_LANGUAGE_MAX_LENGTH
from evse_contracts.ids import is_uid
from evse_runtime.mongo import open_database
from tests.utils.problems import assert_problem, error_locations

SEED = load_seed()
WAITLIST = "/v2/evse_waitlist"
INVALID = "validation-failed-evse-waitlist"
MODEL = next(m["uid"] for m in SEED["evse_models"] if m["name"] == "Zaptec Go")
NORWAY = next(p for p in SEED["programs"] if p["country"] == "NO")


async def stored_entries(mongodb_url: str, database: str, email: str) -> list[dict[str, Any]]:
    async with open_database(mongodb_url, database) as db:
        return await db["evse_waitlist"].find({"email": email}).to_list()


async def test_picker_mode_sign_up_is_created_with_the_accept_language_country(
    catalogue_api: httpx.AsyncClient,
) -> None:
    response = await catalogue_api.post(
        WAITLIST,
        json={"email": "ada@example.com", "evse_model_id": MODEL},
        headers={"accept-language": "de-DE, en;q=0.5"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert is_uid(body["uid"], "waitlist")
    assert {k: v for k, v in body.items() if k not in ("uid", "created_at")} == {
        "email": "ada@example.com",
        "evse_model_id": MODEL,
        "evse_make_name": None,
        "evse_model_name": None,
        "program_id": None,
        "country": "DE",
    }


async def test_a_long_accept_language_is_cut_rather_than_refused(
    catalogue_api: httpx.AsyncClient,
) -> None:
    header = "fr-FR, " + ", ".join(["en;q=0.1"] * 200)
    assert len(header) > ACCEPT_LANGUAGE_MAX_LENGTH
    response = await catalogue_api.post(
        WAITLIST,
        json={"email": "hedy@example.com", "evse_model_id": MODEL},
        headers={"accept-language": header},
    )
    assert response.status_code == 201, response.text
    assert response.json()["country"] == "FR"


async def test_manual_mode_sign_up_defaults_to_us(catalogue_api: httpx.AsyncClient) -> None:
    response = await catalogue_api.post(
        WAITLIST,
        json={
            "email": "grace@example.com",
            "evse_make_name": "  Acme  Chargers ",
            "evse_model_name": "Volt 7",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["evse_make_name"], body["evse_model_name"], body["country"]) == (
        "Acme Chargers",
        "Volt 7",
        "US",
    )


async def test_program_country_wins_over_accept_language(catalogue_api: httpx.AsyncClient) -> None:
    response = await catalogue_api.post(
        WAITLIST,
        json={"email": "linus@example.com", "evse_model_id": MODEL, "program_id": NORWAY["uid"]},
        headers={"accept-language": "en-GB"},
    )
    assert response.status_code == 201, response.text
    assert (response.json()["program_id"], response.json()["country"]) == (NORWAY["uid"], "NO")


async def test_repeated_picker_sign_up_returns_the_existing_entry_and_stores_one(
    catalogue_api: httpx.AsyncClient, mongodb_url: str, catalogue_database: str
) -> None:
    signup = {"email": "margaret@example.com", "evse_model_id": MODEL}
    first = await catalogue_api.post(WAITLIST, json=signup)
    again = await catalogue_api.post(WAITLIST, json={**signup, "email": "Margaret@Example.com"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(await stored_entries(mongodb_url, catalogue_database, "margaret@example.com")) == 1


async def test_repeated_manual_sign_up_matches_names_ignoring_case_and_spacing(
    catalogue_api: httpx.AsyncClient, mongodb_url: str, catalogue_database: str
) -> None:
    email = "barbara@example.com"
    first = await catalogue_api.post(
        WAITLIST, json={"email": email, "evse_make_name": "Acme", "evse_model_name": "Volt 7"}
    )
    again = await catalogue_api.post(
        WAITLIST, json={"email": email, "evse_make_name": "ACME", "evse_model_name": " volt  7"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["uid"] == first.json()["uid"]
    assert len(await stored_entries(mongodb_url, catalogue_database, email)) == 1


async def test_concurrent_repeats_store_one_entry(
    catalogue_api: httpx.AsyncClient, mongodb_url: str, catalogue_database: str
) -> None:
    signup = {"email": "katherine@example.com", "evse_model_id": MODEL}
    responses = await asyncio.gather(*(catalogue_api.post(WAITLIST, json=signup) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["uid"] for r in responses}) == 1
    assert len(await stored_entries(mongodb_url, catalogue_database, "katherine@example.com")) == 1


async def test_another_device_for_the_same_email_is_a_new_entry(
    catalogue_api: httpx.AsyncClient, mongodb_url: str, catalogue_database: str
) -> None:
    email = "edsger@example.com"
    other = next(m["uid"] for m in SEED["evse_models"] if m["name"] == "Zaptec Pro")
    for device in (MODEL, other):
        response = await catalogue_api.post(
            WAITLIST, json={"email": email, "evse_model_id": device}
        )
        assert response.status_code == 201
    assert len(await stored_entries(mongodb_url, catalogue_database, email)) == 2


@pytest.mark.parametrize(
    ("device", "locations"),
    [
        ({}, {"body.evse_model_id"}),
        (
            {"evse_model_id": MODEL, "evse_make_name": "Acme", "evse_model_name": "Volt 7"},
            {"body.evse_make_name", "body.evse_model_name"},
        ),
        ({"evse_model_id": MODEL, "evse_make_name": "Acme"}, {"body.evse_make_name"}),
        ({"evse_model_id": MODEL, "evse_model_name": "Volt 7"}, {"body.evse_model_name"}),
        ({"evse_make_name": "Acme"}, {"body.evse_model_name"}),
        ({"evse_model_name": "Volt 7"}, {"body.evse_make_name"}),
        ({"evse_make_name": "  ", "evse_model_name": "Volt 7"}, {"body.evse_make_name"}),
        (
            {"evse_make_name": "", "evse_model_name": "\t"},
            {"body.evse_make_name", "body.evse_model_name"},
        ),
        ({"evse_model_id": "evsemodel01ZZZZZZZZZZZZZZZZZZZZZZZZ"}, {"body.evse_model_id"}),
        (
            {"evse_model_id": MODEL, "program_id": "program01ZZZZZZZZZZZZZZZZZZZZZZZZ"},
            {"body.program_id"},
        ),
    ],
    ids=[
        "all-three-null",
        "all-three-set",
        "model-and-make-name",
        "model-and-model-name",
        "make-name-only",
        "model-name-only",
        "blank-make-name",
        "blank-names",
        "unknown-model",
        "unknown-program",
    ],
)
async def test_invalid_device_or_reference_is_a_400_problem_per_field(
    catalogue_api: httpx.AsyncClient, device: dict[str, str], locations: set[str]
) -> None:
    response = await catalogue_api.post(WAITLIST, json={"email": "alan@example.com", **device})
    assert error_locations(assert_problem(response, 400, INVALID)) == locations


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"email": "not-an-email", "evse_model_id": MODEL}, "body.email"),
        ({"evse_model_id": MODEL}, "body.email"),
        ({"email": "a@example.com", "evse_model_id": MODEL, "colour": "red"}, "body.colour"),
        ({"email": "a@example.com", "evse_model_id": 42}, "body.evse_model_id"),
    ],
    ids=["bad-email", "missing-email", "unknown-field", "wrong-type"],
)
async def test_invalid_body_is_a_400_problem_of_the_waitlist_type(
    catalogue_api: httpx.AsyncClient, body: dict[str, Any], location: str
) -> None:
    response = await catalogue_api.post(WAITLIST, json=body)
    assert location in error_locations(assert_problem(response, 400, INVALID))


async def test_malformed_json_is_a_400_problem_of_the_waitlist_type(
    catalogue_api: httpx.AsyncClient,
) -> None:
    response = await catalogue_api.post(
        WAITLIST, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, INVALID)


async def test_nothing_is_stored_for_an_invalid_sign_up(
    catalogue_api: httpx.AsyncClient, mongodb_url: str, catalogue_database: str
) -> None:
    email = "john@example.com"
    await catalogue_api.post(
        WAITLIST, json={"email": email, "evse_model_id": MODEL, "evse_make_name": "x"}
    )
    assert await stored_entries(mongodb_url, catalogue_database, email) == []
