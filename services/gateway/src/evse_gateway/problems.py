"""The one place that turns problems and exceptions into `application/problem+json`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from evse_contracts.problems import (
    DomainError,
    FieldError,
    InternalError,
    Problem,
    ProblemDocument,
    ValidationFailed,
)

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_SLUGS_KEY",
    "VALIDATION_PROBLEM_KEY",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
VALIDATION_PROBLEM_KEY = "x-validation-problem"
PROBLEM_SLUGS_KEY = "x-problem-slugs"
"""On a problem response: the slugs of the problem types it may carry."""
log = structlog.get_logger("evse.gateway")

_PROBLEM_SCHEMA_REF = {"$ref": "#/components/schemas/ProblemDocument"}
_HTTP_SLUGS = {
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
}


def problem_response(
    request: Request, problem: Problem, headers: dict[str, str] | None = None
) -> Response:
    document = ProblemDocument(
        type=f"{request.app.state.settings.public_base_url}/problems/{problem.slug}",
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        instance=request.url.path,
        request_id=request.state.request_id,
        errors=problem.errors,
        link_url=problem.link_url,
    )
    return Response(
        document.model_dump_json(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def problem_responses(
    *statuses: int, slugs: Mapping[int, Sequence[str]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for problem bodies of the given statuses.

    `slugs` names the route's own problem types per status (`{404: ["evse-not-found"]}`);
    the document adds the ones every route shares (see `openapi.py`).
    """
    own = slugs or {}
    return {
        status: {
            "model": ProblemDocument,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA_REF}},
            PROBLEM_SLUGS_KEY: list(own.get(status, ())),
        }
        for status in sorted({*statuses, *own})
    }


def _validation_slug(request: Request) -> str:
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    slug: str = extra.get(VALIDATION_PROBLEM_KEY, ValidationFailed.slug)
    return slug


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    problem = exc.to_problem()
    headers: dict[str, str] | None = getattr(exc, "headers", None)
    if problem.status == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return problem_response(request, problem, headers=headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = FieldError.all_from(exc.errors())
    problem = Problem(
        slug=_validation_slug(request),
        title=ValidationFailed.title,
        status=400,
        detail="; ".join(f"{e.loc}: {e.msg}" for e in errors) or "the request is invalid",
        errors=errors,
    )
    return problem_response(request, problem)


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """Every method served at this path (Starlette names only the first route's). A documented
    path answers what the document says, and as in OpenAPI a concrete path wins over a
    templated one: `/vendor_accounts/link` is not `/vendor_accounts/{vendor_account_id}`."""
    documented = _documented_methods(request.app, request.url.path)
    if documented is not None:
        return documented
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


def _documented_methods(app: FastAPI, path: str) -> list[str] | None:
    templates: list[tuple[re.Pattern[str], int, list[str]]] | None = getattr(
        app.state, "path_templates", None
    )
    if templates is None:
        templates = [
            (
                re.compile(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$"),
                template.count("{"),
                sorted(method.upper() for method in operations),
            )
            for template, operations in app.openapi()["paths"].items()
        ]
        app.state.path_templates = templates
    matching = [(params, methods) for regex, params, methods in templates if regex.match(path)]
    if not matching:
        return None
    fewest = min(params for params, _ in matching)
    return sorted({m for params, methods in matching if params == fewest for m in methods})


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    detail = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route matches {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
        headers = {**headers, "Allow": ", ".join(_allowed_methods(request))}
    problem = Problem(
        slug=_HTTP_SLUGS.get(exc.status_code, "http-error"),
        title=HTTPStatus(exc.status_code).phrase,
        status=exc.status_code,
        detail=detail,
    )
    return problem_response(request, problem, headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", path=request.url.path)
    problem = InternalError("the gateway failed to handle the request").to_problem()
    return problem_response(request, problem)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
