"""`/healthz` (the process is up), `/readyz` (every service answering), `/readyz/gateway`.

`/readyz` is the platform's readiness, for people and deploy scripts. An orchestrator's
readiness probe of gateway pods wants `/readyz/gateway` (NATS connected): with one backend
down, every gateway pod still answers its routes (with a 503 problem for that backend's), and
taking them all out of the load balancer would turn one outage into a total one.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response
from nats.aio.client import Client as NatsClient
from pydantic import BaseModel

from evse_contracts.problems import ServiceUnavailable
from evse_contracts.subjects import HEALTH_SUBJECTS
from evse_runtime.bus_client import BusClient

from ..problems import problem_responses
from ..responses import json_response

__all__ = ["router"]

router = APIRouter(tags=["Operations"])


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    services: dict[str, bool]


@router.get("/healthz", response_model=Liveness)
async def healthz() -> Response:
    """The gateway process is up."""
    return json_response(Liveness(status="ok"))


@router.get("/readyz", response_model=Readiness, responses=problem_responses(503))
async def readyz(request: Request) -> Response:
    """Ready when NATS is connected and every service answers its health subject."""
    bus: BusClient = request.app.state.bus
    names = list(HEALTH_SUBJECTS)
    answers = await asyncio.gather(*(bus.ping(HEALTH_SUBJECTS[name]) for name in names))
    services = dict(zip(names, answers, strict=True))
    down = sorted(name for name, up in services.items() if not up)
    if down:
        raise ServiceUnavailable(f"not answering: {', '.join(down)}")
    return json_response(Readiness(status="ready", services=services))


@router.get("/readyz/gateway", response_model=Liveness, responses=problem_responses(503))
async def gateway_ready(request: Request) -> Response:
    """Ready when this gateway is connected to NATS, whatever the services behind it do."""
    nc: NatsClient = request.app.state.nc
    if not nc.is_connected:
        raise ServiceUnavailable("the gateway is not connected to NATS")
    return json_response(Liveness(status="ready"))
