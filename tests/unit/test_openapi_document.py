"""The OpenAPI document against the routes it describes, without a running stack.

`docs/openapi.json` is the published contract: a route whose change the document does not
reflect fails here (`make openapi` regenerates it, and the diff is what reviewers read).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from evse_gateway.app import create_app
from evse_gateway.openapi import published_json
from evse_gateway.settings import GatewaySettings

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
HIDDEN = {"/onboarding/{session_uid}", "/onboarding/{session_uid}/{step}"}
"""Served but deliberately not in the document: the hosted onboarding pages (HTML)."""
FRAMEWORK = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/docs-assets"}


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(GatewaySettings())


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_the_published_document_is_the_one_served(document: dict[str, Any]) -> None:
    assert PUBLISHED.read_text() == published_json(document), (
        "the routes changed but docs/openapi.json did not: run `make openapi` and review the diff"
    )


def _served(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every route with its full path, through included routers (FastAPI includes lazily)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _served(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        else:
            yield prefix + getattr(route, "path", ""), route


def test_every_route_is_documented_with_its_methods_or_deliberately_hidden(
    app: FastAPI, document: dict[str, Any]
) -> None:
    undocumented = []
    served = list(_served(app.routes))
    assert len(served) > len(document["paths"])
    for path, route in served:
        if path in FRAMEWORK or path in HIDDEN:
            continue
        methods = set(getattr(route, "methods", None) or ()) - {"HEAD"}
        documented = {m.upper() for m in document["paths"].get(path, {})}
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            undocumented.append(f"{sorted(methods)} {path} (hidden)")
        elif not methods <= documented:
            undocumented.append(f"{sorted(methods - documented)} {path}")
    assert not undocumented, f"served but not in the document: {undocumented}"


def test_no_operation_documents_fastapis_422_the_api_never_sends(
    document: dict[str, Any],
) -> None:
    """Validation failures are 400s; a 422 is only a domain problem the route names."""
    wrong = [
        f"{m} {p}"
        for p, m, op in _operations(document)
        if "422" in op["responses"] and not op["responses"]["422"]["x-problem-slugs"]
    ]
    assert not wrong
    assert "HTTPValidationError" not in json.dumps(document)


def test_every_operation_with_input_documents_its_400_validation_problem(
    document: dict[str, Any],
) -> None:
    missing = [
        f"{m} {p}"
        for p, m, op in _operations(document)
        if (op.get("parameters") or "requestBody" in op) and "400" not in op["responses"]
    ]
    assert not missing


def test_problem_responses_are_problem_json_naming_their_slugs(document: dict[str, Any]) -> None:
    wrong = []
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            if set(response.get("content", {})) != {"application/problem+json"}:
                wrong.append(f"{method} {path} {status}: {sorted(response.get('content', {}))}")
            slugs = response.get("x-problem-slugs", [])
            if not slugs or not all(f"`{slug}`" in response["description"] for slug in slugs):
                wrong.append(f"{method} {path} {status}: slugs {slugs} not described")
    assert not wrong


def test_no_parameter_offers_null_which_a_url_cannot_carry(document: dict[str, Any]) -> None:
    nullable = [
        f"{m} {p} {parameter['name']}"
        for p, m, op in _operations(document)
        for parameter in op.get("parameters", [])
        if "null" in json.dumps(parameter["schema"])
    ]
    assert not nullable


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/v2/evses/evse01JD7Z0Z0Z0Z0Z0Z0Z0Z0Z0Z0Z", "DELETE, GET"),
        ("/v2/webhooks/subscriptions", "GET, POST"),
        ("/v2/webhooks/subscriptions/whsub01JD7Z0Z0Z0Z0Z0Z0Z0Z0Z0Z0Z", "DELETE, GET"),
    ],
)
@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "PATCH", "HEAD"])
async def test_an_undocumented_method_is_a_405_allowing_every_method_of_the_path(
    app: FastAPI, path: str, allowed: str, method: str
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.request(method, path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allowed
    if method != "HEAD":
        assert response.json()["type"].endswith("/problems/method-not-allowed")
