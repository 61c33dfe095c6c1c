"""Serialise contract models straight to JSON responses (no second validation pass), and
`relay`/`relay_page`, the body most routes share: check the scope, ask the service, answer.

The payload is built before `relay` checks the scope, so it must hold only what FastAPI has
already validated (a route that parses more, like the log timestamps, checks first itself).
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from evse_contracts.bus import Route
from evse_contracts.pagination import ListResponse, Page

from .auth import require_principal
from .deps import ask, ask_json, settings_of

__all__ = [
    "json_response",
    "list_body",
    "list_response",
    "raw_json_response",
    "relay",
    "relay_page",
]

ItemT = TypeVar("ItemT", bound=BaseModel)
RequestT = TypeVar("RequestT", bound=BaseModel)


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    body = model.__pydantic_serializer__.to_json(model)
    return Response(body, status_code=status_code, media_type="application/json")


def raw_json_response(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type="application/json")


def list_response(request: Request, page: Page[ItemT]) -> Response:
    return raw_json_response(list_body(request, page))


def list_body(request: Request, page: Page[ItemT]) -> bytes:
    """Turn a bus page into `{"results", "next"}`, `next` being the full URL of the next page."""
    next_url = None
    if page.next_cursor is not None:
        query = request.url.include_query_params(cursor=page.next_cursor).query
        next_url = f"{settings_of(request).public_base_url}{request.url.path}?{query}"
    listed = ListResponse[ItemT](results=page.results, next=next_url)
    return listed.__pydantic_serializer__.to_json(listed)


async def relay(
    request: Request,
    scope: str,
    route: Route[RequestT, BaseModel],
    payload: RequestT,
    *,
    status_code: int = 200,
) -> Response:
    """Check that the caller's token carries `scope`, ask `route`, and pass the service's JSON
    answer through unchanged; with `status_code=204`, answer no content."""
    require_principal(request, scope)
    if status_code == 204:
        await ask(request, route, payload)
        return Response(status_code=204)
    return raw_json_response(await ask_json(request, route, payload), status_code)


async def relay_page(
    request: Request, scope: str, route: Route[RequestT, Page[Any]], query: RequestT
) -> Response:
    """`relay` for a list: the service's page becomes `{"results", "next"}`."""
    require_principal(request, scope)
    return list_response(request, await ask(request, route, query))
