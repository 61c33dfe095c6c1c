"""HTTP caching of the public catalogue: `ETag`, `Cache-Control` and `304` from memory.

The catalogue (makes, models, firmware) is the same for every caller and changes only when it
is re-seeded. Each gateway replica keeps the bodies it has served, keyed by path and query, so
a revalidation (`If-None-Match`) is answered `304` without asking the catalogue service. It
drops them all on `CATALOGUE_RELOADED`, which each catalogue replica sends once it serves the
new data (not on `CATALOGUE_CHANGED`: a read racing the reload would cache the old body again).
Core NATS delivers an event at most once, so entries also expire after `max_age_s`: a replica
that missed one serves a stale catalogue for at most that long, as `Cache-Control` tells a CDN.

The routes fill the cache; `CachedReads`, a pure ASGI middleware inside authentication,
answers a `GET` whose body is held before routing, so a hit costs a dict lookup rather than
FastAPI's routing, parameter validation and response wrappers (bench/catalogue_read.py:
about half a cached read's CPU). Only URLs a route has answered `200` are held, so their
parameters were validated; anonymous callers still go through the routes, which count them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from evse_runtime.lru import LruCache

__all__ = ["CACHE_RESPONSES", "CachedBody", "CachedReads", "CatalogueCache", "cached_response"]

_CACHE_HEADERS = {
    "ETag": {
        "description": "Tag of this body; send it back in `If-None-Match`.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`public, max-age=…`: shared caches may keep it.",
        "schema": {"type": "string"},
    },
}
CACHE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": _CACHE_HEADERS},
    304: {
        "description": "Not modified: the `ETag` given in `If-None-Match` is still current.",
        "headers": _CACHE_HEADERS,
    },
}
"""OpenAPI `responses` entries of a cached catalogue read."""


@dataclass(frozen=True)
class CachedBody:
    body: bytes
    etag: str
    stored_at: float


class CatalogueCache:
    """Catalogue bodies up to `max_bytes` in all, least recently used out first, with their tags."""

    def __init__(
        self,
        *,
        max_bytes: int,
        max_age_s: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: LruCache[str, CachedBody] = LruCache(max_size=max_bytes, size=_body_size)
        self.max_age_s = max_age_s
        self._clock = clock

    def get(self, key: str) -> CachedBody | None:
        entry = self._entries.get(key)
        if entry is not None and self._clock() - entry.stored_at >= self.max_age_s:
            self._entries.pop(key)
            return None
        return entry

    def put(self, key: str, body: bytes) -> CachedBody:
        entry = CachedBody(body, _entity_tag(body), self._clock())
        self._entries.put(key, entry)
        return entry

    def clear(self) -> None:
        self._entries.clear()


def _body_size(_key: str, entry: CachedBody) -> int:
    return len(entry.body)


async def cached_response(request: Request, read: Callable[[], Awaitable[bytes]]) -> Response:
    """The catalogue body for this URL from the cache (or `read`), or `304` if the caller has it."""
    cache: CatalogueCache = request.app.state.catalogue_cache
    key = _key(request.scope)
    entry = cache.get(key)
    if entry is None:
        entry = cache.put(key, await read())
    return _answer(entry, request.headers.get("if-none-match"), cache.max_age_s)


class CachedReads:
    """Answer a `GET` from the catalogue cache before routing (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry = self._held(scope)
        if entry is None:
            await self.app(scope, receive, send)
            return
        cache: CatalogueCache = scope["app"].state.catalogue_cache
        answer = _answer(entry, Headers(scope=scope).get("if-none-match"), cache.max_age_s)
        await answer(scope, receive, send)

    @staticmethod
    def _held(scope: Scope) -> CachedBody | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        state = scope["app"].state
        cache: CatalogueCache | None = getattr(state, "catalogue_cache", None)
        if cache is None:
            return None
        if scope.get("state", {}).get("principal") is None and state.rate_limiter is not None:
            return None  # the route counts anonymous callers against their quota
        return cache.get(_key(scope))


def _key(scope: Scope) -> str:
    query: bytes = scope["query_string"]
    return f"{scope['path']}?{query.decode('latin-1')}"


def _answer(entry: CachedBody, if_none_match: str | None, max_age_s: int) -> Response:
    """The held body, or `304` when the caller already has it; both tagged for caches."""
    headers = {"ETag": entry.etag, "Cache-Control": f"public, max-age={max_age_s}"}
    if _matches(if_none_match, entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type="application/json", headers=headers)


def _entity_tag(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison: `*`, or any listed tag equal once `W/` is set aside."""
    if if_none_match is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
