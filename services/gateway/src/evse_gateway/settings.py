from __future__ import annotations

from pathlib import Path

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
    token_issuer: str = Field("evse-platform", description="`iss` that tokens must carry.")
    jwt_public_key_file: Path | None = Field(
        None, description="Ed25519 public key (PEM) that verifies access tokens; none: no tokens."
    )
