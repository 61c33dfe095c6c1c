from __future__ import annotations

from pydantic import Field, SecretStr

from evse_contracts.bridge import PROVIDERS
from evse_runtime.settings import BusSettings

__all__ = ["GatewaySettings"]


class GatewaySettings(BusSettings):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="Base of problem type URIs and `next` links."
    )
    readiness_timeout_s: float = Field(1.0, gt=0)
    webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=lambda: {p: SecretStr(f"dev-webhook-secret-{p}") for p in PROVIDERS},
        description="Per-provider HMAC key of `POST /v2/webhooks/{provider}` "
        "(`EVSE_WEBHOOK_SECRETS` as JSON); the defaults are for dev only.",
    )
    webhook_tolerance_s: float = Field(
        300.0, gt=0, description="Largest accepted clock gap of a webhook timestamp."
    )
    webhook_max_body_bytes: int = Field(1_048_576, gt=0)
