"""Request id in and out (`x-request-id`), and one JSON log line per request."""

from __future__ import annotations

import itertools
import os
import re
from time import perf_counter

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evse_contracts.bus import REQUEST_ID_HEADER

__all__ = ["RequestContextMiddleware"]

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# A hosted session's id is its capability: it never reaches the logs.
_SESSION_IN_PATH = re.compile(r"^/onboarding/[^/]+")
_HEADER = REQUEST_ID_HEADER.encode()
log = structlog.get_logger("evse.gateway")


_PROCESS_PREFIX = os.urandom(8).hex()
_sequence = itertools.count()


def _incoming_id(scope: Scope) -> str:
    """The caller's id when it is safe to log, else a new one unique across processes."""
    for name, value in scope["headers"]:
        if name == _HEADER:
            candidate: str = value.decode("latin-1")
            if _SAFE_ID.match(candidate):
                return candidate
    return f"{_PROCESS_PREFIX}{next(_sequence):016x}"


class RequestContextMiddleware:
    """Pure ASGI (no per-request task) so it costs next to nothing on the hot path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (_HEADER, request_id.encode())]
            await send(message)

        # uvicorn runs each request in a task of its own, so the binding ends with it.
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=_SESSION_IN_PATH.sub("/onboarding/{session}", scope["path"]),
                status=status,
                latency_ms=round((perf_counter() - started) * 1000, 3),
            )
