from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import NoDecode

from evse_contracts.bridge import PROVIDERS
from evse_runtime.settings import BusSettings
from evse_runtime.streams import DUPLICATE_WINDOW_S

__all__ = ["GatewaySettings"]


class GatewaySettings(BusSettings):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="Base of problem type URIs and `next` links."
    )
    readiness_timeout_s: float = Field(1.0, gt=0)
    read_retry_after_s: float = Field(
        2.0,
        gt=0,
        description="A GET's bus request unanswered this long (or with no responder) is sent "
        "once more, within `request_timeout_s`: a replica dying with it in hand fails nothing.",
    )
    token_issuer: str = Field("evse-platform", description="`iss` that tokens must carry.")
    revocation_check_s: float = Field(
        30.0,
        gt=0,
        le=60,
        description="How long a replica trusts what it last heard of a token holder's "
        "revocations: a reset secret ends older tokens within this.",
    )
    jwt_public_key_file: Path | None = Field(
        None, description="Ed25519 public key (PEM) that verifies access tokens; none: no tokens."
    )
    anonymous_rate_limit: int = Field(
        50,
        ge=0,
        description="Anonymous requests to makes and models per client IP per window; 0 = off.",
    )
    anonymous_rate_window_s: int = Field(3600, ge=1)
    onboarding_sessions_per_user: int = Field(
        30,
        ge=0,
        description="Hosted onboarding sessions one user may start per rate window; 0 = off.",
    )
    catalogue_cache_bytes: int = Field(
        16 * 1024 * 1024,
        ge=0,
        description="Bytes of catalogue bodies each replica keeps for `ETag` revalidation.",
    )
    catalogue_max_age_s: int = Field(
        60,
        ge=1,
        description="`Cache-Control: max-age` of catalogue reads, and how long a replica keeps "
        "one if it misses the catalogue's change event.",
    )
    token_failures_per_client_id: int = Field(
        10,
        ge=0,
        description="Failed `POST /v2/oauth/token` per client id per window before `429`; 0 = off.",
    )
    token_failures_per_address: int = Field(
        50, ge=1, description="Failed `POST /v2/oauth/token` per client IP per window."
    )
    token_failure_window_s: int = Field(900, ge=1)
    waitlist_signups_per_address: int = Field(
        20,
        ge=0,
        description="Anonymous waitlist sign-ups per client IP per rate window; 0 = off.",
    )
    waitlist_signups_per_email: int = Field(
        3, ge=1, description="Waitlist sign-ups per email address per rate window."
    )
    rate_limit_bucket: str = Field(
        "evse_rate_limit", pattern=r"^[A-Za-z0-9_-]+$", description="JetStream KV bucket."
    )
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description="Peers whose `X-Forwarded-For` is believed: IPs or CIDRs, comma-separated.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        """Accept a JSON list or a comma-separated string from the environment."""
        if isinstance(value, str) and value.lstrip().startswith("["):
            return json.loads(value)
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=lambda: {p: SecretStr(f"dev-webhook-secret-{p}") for p in PROVIDERS},
        description="Per-provider HMAC key of `POST /v2/webhooks/{provider}` "
        "(`EVSE_WEBHOOK_SECRETS` as JSON); the defaults are for dev only.",
    )

    def insecure_settings(self) -> list[str]:
        insecure = super().insecure_settings()
        if self.jwt_public_key_file is None:
            insecure.append("EVSE_JWT_PUBLIC_KEY_FILE")
        if any(
            secret.get_secret_value() == f"dev-webhook-secret-{provider}"
            for provider, secret in self.webhook_secrets.items()
        ):
            insecure.append("EVSE_WEBHOOK_SECRETS")
        return insecure

    webhook_tolerance_s: float = Field(
        300.0,
        gt=0,
        le=DUPLICATE_WINDOW_S - 60,
        description="Oldest accepted webhook timestamp (with the future skew, inside the "
        "stream's duplicate window, so replays are dropped).",
    )
    webhook_future_skew_s: float = Field(
        30.0, ge=0, le=60, description="How far ahead of our clock a webhook timestamp may be."
    )
    webhook_max_body_bytes: int = Field(
        1_048_576, gt=0, description="Largest body of `POST /v2/webhooks/{provider}`."
    )
    max_body_bytes: int = Field(
        1_048_576, gt=0, description="Largest request body of an API route (`413` above)."
    )
    page_max_body_bytes: int = Field(
        65_536, gt=0, description="Largest form a hosted page accepts (a page above)."
    )

    def body_limit(self, path: str) -> int:
        """The most bytes a request to `path` may send (see `body_limit.py`)."""
        if path.startswith("/onboarding/"):
            return self.page_max_body_bytes
        if path.startswith("/v2/webhooks/") and not path.startswith("/v2/webhooks/subscriptions"):
            return self.webhook_max_body_bytes
        return self.max_body_bytes
