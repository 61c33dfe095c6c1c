"""Cursor pagination over an in-memory sequence sorted by uid."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel

from evse_contracts.pagination import Page, PageQuery, decode_cursor, encode_cursor

__all__ = ["paginate"]

_CURSOR_KEYS = frozenset({"after"})
ItemT = TypeVar("ItemT", bound=BaseModel)


def paginate(
    items: Sequence[ItemT],
    uids: Sequence[str],
    query: PageQuery,
    keep: Callable[[ItemT], bool] = lambda _: True,
) -> Page[ItemT]:
    """Return the page after `query.cursor` of `items` (sorted by `uids`) that `keep` accepts."""
    start = 0
    if query.cursor is not None:
        start = bisect_right(uids, decode_cursor(query.cursor, keys=_CURSOR_KEYS)["after"])
    page: list[ItemT] = []
    last_index = start
    for index in range(start, len(items)):
        if not keep(items[index]):
            continue
        if len(page) == query.limit:
            return Page(results=tuple(page), next_cursor=encode_cursor({"after": uids[last_index]}))
        page.append(items[index])
        last_index = index
    return Page(results=tuple(page))
