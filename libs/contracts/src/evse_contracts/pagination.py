"""Cursor pagination: the bus request/reply shapes and opaque cursor tokens."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .base import Contract
from .problems import InvalidCursor

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "ListResponse",
    "Page",
    "PageQuery",
    "decode_cursor",
    "encode_cursor",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
ItemT = TypeVar("ItemT", bound=BaseModel)


class PageQuery(Contract):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


class Page(BaseModel, Generic[ItemT]):
    """One page of results; `next_cursor` is absent on the last page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    results: tuple[ItemT, ...]
    next_cursor: str | None = None


def encode_cursor(position: dict[str, str]) -> str:
    """Pack the sort key of the last item returned into an opaque, URL-safe token."""
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(token: str, *, keys: frozenset[str]) -> dict[str, str]:
    """Unpack a token made by `encode_cursor`, or raise `InvalidCursor`."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("the cursor is not one this API issued") from exc
    if (
        not isinstance(position, dict)
        or set(position) != keys
        or not all(isinstance(v, str) for v in position.values())
    ):
        raise InvalidCursor("the cursor is not one this API issued")
    return position


class ListResponse(BaseModel, Generic[ItemT]):
    """The HTTP body of every list: `next` is the URL of the following page, or null."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    results: tuple[ItemT, ...]
    next: str | None
