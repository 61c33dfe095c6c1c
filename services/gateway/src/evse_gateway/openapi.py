"""The OpenAPI document as the contract: what FastAPI generates, corrected to what is served.

FastAPI documents a `422` that this API never sends (validation failures are `400`
problems with the route's slug), and gives optional parameters a `null` alternative that a
URL cannot carry. Each problem response names the slugs a client may meet.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from evse_contracts.problems import InvalidCursor, ServiceUnavailable, ValidationFailed

from .problems import PROBLEM_MEDIA_TYPE, PROBLEM_SLUGS_KEY, VALIDATION_PROBLEM_KEY

__all__ = ["contract_document", "install_openapi", "published_json"]

_SHARED_SLUGS = {
    401: "unauthorized",
    403: "insufficient-scope",
    405: "method-not-allowed",
    413: "payload-too-large",
    429: "rate-limited",
    503: ServiceUnavailable.slug,
}
_NOTES = {
    "validation-failed": "A parameter or the body breaks its schema; `errors` lists each.",
    InvalidCursor.slug: "The cursor is not one this API issued.",
    "invalid-timestamp": "A timestamp is not ISO 8601.",
    "unauthorized": "No bearer token, or an invalid or expired one.",
    "insufficient-scope": "The token lacks the scope this operation needs.",
    "rate-limited": "A quota is spent; `Retry-After` says when to try again.",
    "payload-too-large": "The body is larger than this route accepts (1 MiB by default).",
    ServiceUnavailable.slug: "A service did not answer in time; retry later.",
}
_INSTANTS = frozenset({"from", "to", "sampled_at", "logged_at"})
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
    if _is_fastapi_validation_error(responses.get("422")):
        del responses["422"]
    if parameters or "requestBody" in operation:
        responses.setdefault("400", _problem_response())
    if "requestBody" in operation:
        responses.setdefault("413", _problem_response())
    for status, response in responses.items():
        if int(status) < 400:
            continue
        # Problems are only ever `application/problem+json`.
        response.get("content", {}).pop("application/json", None)
        slugs = [*_shared_slugs(operation, int(status)), *response.get(PROBLEM_SLUGS_KEY, [])]
        response[PROBLEM_SLUGS_KEY] = sorted(set(slugs))
        response["description"] = _describe(int(status), response[PROBLEM_SLUGS_KEY])


def _is_fastapi_validation_error(response: dict[str, Any] | None) -> bool:
    """FastAPI's own `422`, which this API never sends (it sends a `400` problem)."""
    return response is not None and "HTTPValidationError" in json.dumps(response)


def _describe(status: int, slugs: list[str]) -> str:
    notes = [_NOTES[slug] for slug in slugs if slug in _NOTES]
    named = ", ".join(f"`{slug}`" for slug in slugs)
    return " ".join([f"{HTTPStatus(status).phrase}: a problem of type {named}.", *notes])


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


def _shared_slugs(operation: dict[str, Any], status: int) -> list[str]:
    """The problem types every route with this status (and these parameters) may answer."""
    if status == 400:
        names = {p["name"] for p in operation.get("parameters", [])}
        return [
            operation.get(VALIDATION_PROBLEM_KEY, ValidationFailed.slug),
            *([InvalidCursor.slug] if "cursor" in names else []),
            *(["invalid-timestamp"] if names & _INSTANTS else []),
        ]
    shared = _SHARED_SLUGS.get(status)
    return [] if shared is None else [shared]


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
