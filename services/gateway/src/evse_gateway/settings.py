from __future__ import annotations

from pydantic import Field

from evse_runtime.settings import BusSettings

__all__ = ["GatewaySettings"]


class GatewaySettings(BusSettings):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="Base of problem type URIs and `next` links."
    )
    readiness_timeout_s: float = Field(1.0, gt=0)
