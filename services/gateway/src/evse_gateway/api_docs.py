"""The API's documentation: Swagger UI and ReDoc served from this gateway (assets from the
`fastapi-offline` package, no CDN), and the OpenAPI document's security and examples.

Which scope each operation needs is declared here, once per operation, because the routes
check it inside their bodies (`require_principal`); `tests/unit/test_api_docs.py` fails when a
route under `/v2` is neither public nor listed, and the integration tests check that the
listed operations really answer 401 without a token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from evse_contracts.auth import EVSES_READ, EVSES_WRITE, ONBOARDING

from .api_examples import example_of

__all__ = ["PUBLIC_OPERATIONS", "REQUIRED_SCOPES", "install_docs"]

_ASSETS = Path(fastapi_offline.__file__).parent / "static"
_ASSETS_URL = "/docs-assets"

SCOPES = {
    EVSES_READ: "Read EVSEs, their logs, connectivity, capabilities, plans, sites and events.",
    EVSES_WRITE: "Import, command, reconnect and decommission EVSEs; set charge plans and "
    "sites; manage webhooks.",
    ONBOARDING: "Start the hosted onboarding flow and link vendor accounts (user tokens).",
}

PUBLIC_OPERATIONS = frozenset(
    {
        ("post", "/v2/oauth/token"),
        ("get", "/v2/evse_makes"),
        ("get", "/v2/evse_makes/{evse_make_id}"),
        ("get", "/v2/evse_models"),
        ("get", "/v2/evse_models/{evse_model_id}"),
        ("get", "/v2/evse_firmware_versions"),
        ("get", "/v2/evse_firmware_versions/{evse_firmware_version_id}"),
        ("get", "/v2/evse_compatibility/check"),
        ("post", "/v2/evse_waitlist"),
        ("post", "/v2/webhooks/{provider}"),
    }
)

REQUIRED_SCOPES: dict[tuple[str, str], str] = {
    ("get", "/v2/evses"): EVSES_READ,
    ("get", "/v2/evses/{evse_id}"): EVSES_READ,
    ("delete", "/v2/evses/{evse_id}"): EVSES_WRITE,
    ("post", "/v2/evses/{evse_id}/reconnect"): EVSES_WRITE,
    ("get", "/v2/evses/{evse_id}/vpp_modes"): EVSES_READ,
    ("post", "/v2/evses/{evse_id}/commands"): EVSES_WRITE,
    ("get", "/v2/evses/{evse_id}/connectivity"): EVSES_READ,
    ("get", "/v2/evses/{evse_id}/capabilities"): EVSES_READ,
    ("put", "/v2/evses/{evse_id}/charge_plan"): EVSES_WRITE,
    ("get", "/v2/evses/{evse_id}/charge_plan"): EVSES_READ,
    ("delete", "/v2/evses/{evse_id}/charge_plan"): EVSES_WRITE,
    ("put", "/v2/sites/{site_id}"): EVSES_WRITE,
    ("get", "/v2/sites"): EVSES_READ,
    ("get", "/v2/sites/{site_id}"): EVSES_READ,
    ("delete", "/v2/sites/{site_id}"): EVSES_WRITE,
    ("get", "/v2/evse_onboarding"): ONBOARDING,
    ("post", "/v2/evse_onboarding/import"): EVSES_WRITE,
    ("get", "/v2/vendor_accounts"): EVSES_READ,
    ("get", "/v2/vendor_accounts/link"): ONBOARDING,
    ("get", "/v2/vendor_accounts/{vendor_account_id}"): EVSES_READ,
    ("delete", "/v2/vendor_accounts/{vendor_account_id}"): EVSES_WRITE,
    ("post", "/v2/webhooks/subscriptions"): EVSES_WRITE,
    ("get", "/v2/webhooks/subscriptions"): EVSES_READ,
    ("get", "/v2/webhooks/subscriptions/{subscription_id}"): EVSES_READ,
    ("delete", "/v2/webhooks/subscriptions/{subscription_id}"): EVSES_WRITE,
    ("post", "/v2/webhooks/subscriptions/{subscription_id}/test"): EVSES_WRITE,
    ("get", "/v2/events"): EVSES_READ,
    **{
        ("get", f"/v2/evses/{{evse_id}}/{family}{suffix}"): EVSES_READ
        for family, instant in (
            ("status_logs", "sampled_at"),
            ("command_logs", "logged_at"),
            ("error_logs", "sampled_at"),
            ("ocpp_logs", "sampled_at"),
        )
        for suffix in ("", f"/{{{instant}}}")
    },
}

_SECURITY_SCHEMES = {
    "oauth2": {
        "type": "oauth2",
        "description": "An application token: client id and secret from `evse-admin "
        "create-application`, exchanged at `POST /v2/oauth/token`.",
        "flows": {"clientCredentials": {"tokenUrl": "/v2/oauth/token", "scopes": SCOPES}},
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Any access token, pasted: use this for a token acting as a user "
        "(`user_uid` on `POST /v2/oauth/token`).",
    },
}


def install_docs(app: FastAPI) -> None:
    """Serve `/docs` and `/redoc` from local assets and put the security schemes in the
    OpenAPI document. The app must be built with `docs_url=None, redoc_url=None`."""
    app.mount(_ASSETS_URL, StaticFiles(directory=_ASSETS), name="docs-assets")
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_examples(_with_security(default_openapi()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} · Swagger UI",
            swagger_js_url=f"{_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{_ASSETS_URL}/favicon.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} · ReDoc",
            redoc_js_url=f"{_ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{_ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )


def _with_security(document: dict[str, Any]) -> dict[str, Any]:
    document.setdefault("components", {})["securitySchemes"] = _SECURITY_SCHEMES
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if description := operation.get("description"):
                operation["summary"] = _summary(description)
            scope = REQUIRED_SCOPES.get((method, path))
            if scope is None:
                continue
            operation["security"] = [{"oauth2": [scope]}, {"bearer": []}]
            operation["description"] = (
                f"{operation.get('description', '').rstrip()}\n\nNeeds a bearer token with "
                f"scope `{scope}`."
            ).lstrip()
    return document


def _with_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Put an example on every JSON request body and 2xx JSON answer that has one."""
    for operations in document["paths"].values():
        for operation in operations.values():
            bodies = [operation.get("requestBody", {})] + [
                answer
                for status, answer in operation["responses"].items()
                if status.startswith("2")
            ]
            for body in bodies:
                media = body.get("content", {}).get("application/json")
                if media is None or "$ref" not in media.get("schema", {}):
                    continue
                example = example_of(media["schema"]["$ref"].rsplit("/", 1)[-1])
                if example is not None:
                    media["example"] = example
    return document


def _summary(description: str) -> str:
    """The docstring's first sentence, short enough for a one-line summary (FastAPI would
    title-case the function's name instead)."""
    sentence = description.strip().split("\n\n")[0].replace("\n", " ").split(". ")[0]
    sentence = sentence.rstrip(".")
    if len(sentence) <= _SUMMARY_LENGTH:
        return sentence
    return sentence[: _SUMMARY_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:(") + "…"


_SUMMARY_LENGTH = 80
