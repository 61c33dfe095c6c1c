"""What routes need from the app: one bus request per call, carrying the request id.

Plain functions of the `Request` rather than FastAPI dependencies: each dependency costs a
resolution pass per request, and these are needed by every route on the hot path.
"""

from __future__ import annotations

from typing import TypedDict, TypeVar

from fastapi import Request
from pydantic import BaseModel

from evse_contracts.bus import PRINCIPAL_HEADER, Route
from evse_runtime.bus_client import BusClient

from .auth import VerifiedToken
from .settings import GatewaySettings

__all__ = ["ask", "ask_json", "settings_of"]

RequestT = TypeVar("RequestT", bound=BaseModel)
ReplyT = TypeVar("ReplyT", bound=BaseModel)
_SAFE_METHODS = frozenset({"GET", "HEAD"})
"""Requests that only read: their bus request may be sent twice (see `BusClient`)."""


def settings_of(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


class _Sending(TypedDict):
    request_id: str
    headers: dict[str, str] | None
    idempotent: bool


def _sending(request: Request, idempotent: bool | None) -> _Sending:
    """How this HTTP request's bus request is sent: with its request id, the verified caller
    (so services authorise access to what they own) and whether it may be sent twice."""
    token: VerifiedToken | None = request.state.token
    return _Sending(
        request_id=request.state.request_id,
        headers=None if token is None else {PRINCIPAL_HEADER: token.principal_json},
        idempotent=request.method in _SAFE_METHODS if idempotent is None else idempotent,
    )


async def ask(
    request: Request,
    route: Route[RequestT, ReplyT],
    payload: RequestT,
    *,
    idempotent: bool | None = None,
) -> ReplyT:
    """Send `payload` on `route` and return the reply, or raise its problem.

    `idempotent` (default: the HTTP method is GET or HEAD) lets the request be sent twice.
    """
    bus: BusClient = request.app.state.bus
    return await bus.request(route, payload, **_sending(request, idempotent))


async def ask_json(
    request: Request,
    route: Route[RequestT, ReplyT],
    payload: RequestT,
    *,
    idempotent: bool | None = None,
) -> bytes:
    """Like `ask`, but the resource stays the JSON bytes the service sent, for pass-through."""
    bus: BusClient = request.app.state.bus
    return await bus.request_json(route, payload, **_sending(request, idempotent))
