"""`/healthz` (the process is up) and `/readyz` (NATS connected, every service answering)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response
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
