"""What routes need from the app: one bus request per call, carrying the request id.

Plain functions of the `Request` rather than FastAPI dependencies: each dependency costs a
resolution pass per request, and these are needed by every route on the hot path.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel

from evse_contracts.auth import Principal
from evse_contracts.bus import PRINCIPAL_HEADER, Route
from evse_runtime.bus_client import BusClient

from .settings import GatewaySettings

__all__ = ["ask", "ask_json", "settings_of"]

RequestT = TypeVar("RequestT", bound=BaseModel)
ReplyT = TypeVar("ReplyT", bound=BaseModel)


def settings_of(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def _principal_header(request: Request) -> dict[str, str] | None:
    """The verified caller, forwarded so services authorise access to what they own."""
    principal: Principal | None = request.state.principal
    return None if principal is None else {PRINCIPAL_HEADER: principal.model_dump_json()}


async def ask(request: Request, route: Route[RequestT, ReplyT], payload: RequestT) -> ReplyT:
    """Send `payload` on `route` and return the reply, or raise its problem."""
    bus: BusClient = request.app.state.bus
    return await bus.request(
        route, payload, request_id=request.state.request_id, headers=_principal_header(request)
    )


async def ask_json(request: Request, route: Route[RequestT, ReplyT], payload: RequestT) -> bytes:
    """Like `ask`, but the resource stays the JSON bytes the service sent, for pass-through."""
    bus: BusClient = request.app.state.bus
    return await bus.request_json(
        route, payload, request_id=request.state.request_id, headers=_principal_header(request)
    )
