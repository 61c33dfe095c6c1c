"""Request bodies over a size limit are refused before they are buffered.

Pure ASGI: the limit sits on `receive`, so it holds whoever reads the body (FastAPI's body
and form parsing, `request.body()` in a route) and for every framing. A `Content-Length`
over the limit fails the first read, before a byte is taken in; a chunked body fails the
read that passes the limit, so at most one chunk more than the limit is ever held. The
failure is `PayloadTooLarge`, which API routes answer as a `413` problem and hosted pages as
a page. A route that never reads its body is not charged for it. It is an `HTTPException`
because FastAPI turns any other error met while reading a body into a `400`.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PayloadTooLarge

__all__ = ["BodyLimitMiddleware"]


class BodyLimitMiddleware:
    """`limit_of(path)` is the most bytes a request to that path may send."""

    def __init__(self, app: ASGIApp, *, limit_of: Callable[[str], int]) -> None:
        self.app = app
        self._limit_of = limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_of(scope["path"])
        declared = _content_length(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise PayloadTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
