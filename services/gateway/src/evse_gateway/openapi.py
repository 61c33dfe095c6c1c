"""The OpenAPI document as the contract: what FastAPI generates, corrected to what is served.

FastAPI documents a `422` that this API never sends (validation failures are `400`
problems with the route's slug), and gives optional parameters a `null` alternative that a
URL cannot carry. Each problem response names the slugs a client may meet.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from evse_contracts.problems import InvalidCursor, ServiceUnavailable, ValidationFailed

from .problems import PROBLEM_MEDIA_TYPE, VALIDATION_PROBLEM_KEY

__all__ = ["contract_document", "install_openapi", "published_json"]

_GENERIC_SLUGS = {
    401: "`unauthorized`: no bearer token, or one that is invalid or expired.",
    403: "`insufficient-scope`: the token lacks the scope, or the kind (user/application).",
    405: "`method-not-allowed`: `Allow` lists the methods of the path.",
    429: "`rate-limited`: anonymous quota spent; `Retry-After` says when to retry.",
    503: f"`{ServiceUnavailable.slug}`: a service did not answer; retry later.",
}
_PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemDocument"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install_openapi(app: FastAPI) -> None:
    """Serve `contract_document` of the app's routes at `app.openapi_url`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = contract_document(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def published_json(document: dict[str, Any]) -> str:
    """The document as `docs/openapi.json` holds it: stable key order, one trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def contract_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document FastAPI generated, corrected in place (see the module docstring)."""
    schemas = document.get("components", {}).get("schemas", {})
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            _correct_operation(operation)
            _correct_form(operation, schemas)
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return document


def _correct_operation(operation: dict[str, Any]) -> None:
    parameters = operation.get("parameters", [])
    for parameter in parameters:
        parameter["schema"] = _without_null(parameter["schema"])
    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)
    if parameters or "requestBody" in operation:
        responses.setdefault("400", _problem_response())
    for status, response in responses.items():
        if int(status) >= 400:
            # Problems are only ever `application/problem+json`.
            response.get("content", {}).pop("application/json", None)
        slugs = _slugs(operation, int(status))
        if slugs:
            response["description"] = "Problem " + " ".join(slugs)


def _correct_form(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Form fields, like parameters, are null by being absent: no `null` alternative."""
    content = operation.get("requestBody", {}).get("content", {})
    form = content.get("application/x-www-form-urlencoded")
    if form is None:
        return
    ref: str = form["schema"].get("$ref", "")
    body = schemas[ref.rsplit("/", 1)[-1]] if ref else form["schema"]
    for name, field in body.get("properties", {}).items():
        body["properties"][name] = _without_null(field)


def _slugs(operation: dict[str, Any], status: int) -> list[str]:
    if status == 400:
        slug = operation.get(VALIDATION_PROBLEM_KEY, ValidationFailed.slug)
        slugs = [f"`{slug}`: a parameter or the body breaks its schema (see `errors`)."]
        names = {p["name"] for p in operation.get("parameters", [])}
        if "cursor" in names:
            slugs.append(f"`{InvalidCursor.slug}`: the cursor is not one this API issued.")
        if names & {"from", "to", "sampled_at", "logged_at"}:
            slugs.append("`invalid-timestamp`: a timestamp is not ISO 8601.")
        return slugs
    generic = _GENERIC_SLUGS.get(status)
    return [] if generic is None else [generic]


def _problem_response() -> dict[str, Any]:
    return {"description": "", "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}}}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, null]` becomes X: an absent parameter is how a URL says null."""
    alternatives = schema.get("anyOf")
    if not alternatives:
        return schema
    kept = [a for a in alternatives if a != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {**rest, "anyOf": kept}
