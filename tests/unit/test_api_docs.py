"""The API docs: every protected operation carries its security, assets come from the gateway."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from evse_gateway.api_docs import PUBLIC_OPERATIONS, REQUIRED_SCOPES
from evse_gateway.app import create_app
from evse_gateway.settings import GatewaySettings


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(GatewaySettings())


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, ops in document["paths"].items()
        if path.startswith("/v2/")
        for method in ops
    }


def test_every_v2_operation_is_public_or_declares_its_scope(app: FastAPI) -> None:
    served = operations(app.openapi())
    assert served == PUBLIC_OPERATIONS | set(REQUIRED_SCOPES)
    assert not PUBLIC_OPERATIONS & set(REQUIRED_SCOPES)


def test_protected_operations_accept_an_oauth2_or_pasted_bearer_token(app: FastAPI) -> None:
    document = app.openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/v2/oauth/token"
    for (method, path), scope in REQUIRED_SCOPES.items():
        operation = document["paths"][path][method]
        assert operation["security"] == [{"oauth2": [scope]}, {"bearer": []}]
        assert f"scope `{scope}`" in operation["description"]
    for method, path in PUBLIC_OPERATIONS:
        assert "security" not in document["paths"][path][method]


@pytest.mark.parametrize(
    ("page", "assets"),
    [("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")), ("/redoc", ("redoc.standalone.js",))],
)
async def test_docs_pages_load_their_assets_from_the_gateway(
    app: FastAPI, page: str, assets: tuple[str, ...]
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        html = (await client.get(page)).text
        assert "cdn" not in html.lower() and "fonts.googleapis" not in html
        for asset in assets:
            assert f"/docs-assets/{asset}" in html
            served = await client.get(f"/docs-assets/{asset}")
            assert served.status_code == 200 and len(served.content) > 10_000
