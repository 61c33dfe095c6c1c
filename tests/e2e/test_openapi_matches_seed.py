"""The gateway's OpenAPI document against the public contract in `shared/seed/evse-api.md`.

Every endpoint the seed lists is served under `/v2` with the same method, and each problem
type the seed names is what the endpoint actually answers (one request each, over HTTP).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from evse_catalogue.seed import load_seed
from evse_contracts.ids import new_uid
from evse_devstack.stack import Stack

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SHARED_SEED = REPO.parent / "shared" / "seed" / "evse-api.md"
"""The public contract as the team keeps it, beside the repository (as CI lays it out)."""
SEED = REPO / "docs" / "contract" / "evse-api.md"
"""The copy this repository implements; `test_the_contract_copy_is_current` keeps it in step."""
ENDPOINT = re.compile(r"^\s*- \[(GET|POST|PUT|PATCH|DELETE) (/[^\]\s]*)\]", re.MULTILINE)
PARAM = re.compile(r"\{[^}]*\}")


def _seed_endpoints() -> list[tuple[str, str]]:
    found = sorted(set(ENDPOINT.findall(SEED.read_text())))
    assert found, f"no `- [METHOD /path](...)` lines in {SEED}"
    return found


def test_the_contract_copy_is_current() -> None:
    """Where the team's copy is at hand (CI, developers' machines), ours must equal it."""
    if SHARED_SEED.is_file():
        assert SEED.read_text() == SHARED_SEED.read_text(), f"update {SEED} from {SHARED_SEED}"
    else:
        assert SEED.is_file(), f"the public contract {SEED} is missing"


def _shape(path: str) -> str:
    """A path with its parameter names erased: `/evses/{}/status_logs/{}`."""
    return PARAM.sub("{}", path.rstrip("/") or "/")


@pytest.fixture(scope="module")
def client(e2e_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=e2e_stack.base_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def openapi(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_every_seed_endpoint_is_served_under_v2_with_its_method(openapi: dict[str, Any]) -> None:
    served = {
        (method.upper(), _shape(path))
        for path, operations in openapi["paths"].items()
        for method in operations
    }
    missing = [
        f"{method} /v2{path}"
        for method, path in _seed_endpoints()
        if (method, _shape(f"/v2{path}")) not in served
    ]
    assert not missing, f"in the seed but not in the gateway's OpenAPI: {missing}"


@pytest.mark.parametrize(
    ("method", "path", "slug"),
    [
        ("get", "/v2/evse_compatibility/check", "validation-failed-evse-compatibility-check"),
        ("post", "/v2/evse_waitlist", "validation-failed-evse-waitlist"),
    ],
)
def test_route_specific_validation_problems_are_documented(
    openapi: dict[str, Any], method: str, path: str, slug: str
) -> None:
    assert openapi["paths"][path][method]["x-validation-problem"] == slug


def _assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(f"/problems/{slug}")


def test_a_compatibility_check_without_a_model_is_its_validation_problem(
    client: httpx.Client,
) -> None:
    response = client.get("/v2/evse_compatibility/check", params={"country": "GB"})
    _assert_problem(response, 400, "validation-failed-evse-compatibility-check")


def test_a_compatibility_check_of_an_unknown_model_is_evse_model_not_found(
    client: httpx.Client,
) -> None:
    response = client.get(
        "/v2/evse_compatibility/check", params={"evse_model_id": new_uid("evsemodel")}
    )
    _assert_problem(response, 404, "evse-model-not-found")


def test_a_compatibility_check_in_an_unknown_program_is_program_not_found(
    client: httpx.Client,
) -> None:
    model_uid = load_seed()["evse_models"][0]["uid"]
    response = client.get(
        "/v2/evse_compatibility/check",
        params={"evse_model_id": model_uid, "program_id": new_uid("program")},
    )
    _assert_problem(response, 404, "program-not-found")


def test_a_waitlist_signup_without_a_device_is_its_validation_problem(
    client: httpx.Client,
) -> None:
    response = client.post("/v2/evse_waitlist", json={"email": "someone@example.com"})
    _assert_problem(response, 400, "validation-failed-evse-waitlist")
