"""FastAPI dependencies, collected as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from evse_runtime.bus_client import BusClient

from .settings import GatewaySettings

__all__ = ["Bus", "RequestId", "Settings"]


def _bus(request: Request) -> BusClient:
    bus: BusClient = request.app.state.bus
    return bus


def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def _request_id(request: Request) -> str:
    request_id: str = request.state.request_id
    return request_id


Bus = Annotated[BusClient, Depends(_bus)]
Settings = Annotated[GatewaySettings, Depends(_settings)]
RequestId = Annotated[str, Depends(_request_id)]
