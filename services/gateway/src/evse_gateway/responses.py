"""Serialise contract models straight to JSON responses (no second validation pass)."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from evse_contracts.pagination import ListResponse, Page

from .deps import settings_of

__all__ = ["json_response", "list_body", "list_response", "raw_json_response"]

ItemT = TypeVar("ItemT", bound=BaseModel)


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
