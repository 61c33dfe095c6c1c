from __future__ import annotations

from pathlib import Path

from pydantic import Field

from evse_runtime.settings import ConsumerSettings, ServiceSettings

__all__ = ["OnboardingSettings"]


class OnboardingSettings(ServiceSettings, ConsumerSettings):
    database: str = "evse_onboarding"
    jwt_private_key_file: Path | None = Field(
        None, description="Ed25519 private key (PEM) that signs access tokens."
    )
    token_ttl_s: int = Field(3600, ge=60, le=86_400)
    secret_checks_at_once: int = Field(
        2, ge=1, description="Client-secret hashes computed together (each is CPU-bound)."
    )
    token_issuer: str = Field("evse-platform", description="`iss` of tokens; the gateway's too.")
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="Where browsers reach the hosted onboarding pages."
    )
    session_ttl_s: int = Field(900, ge=60, description="How long an onboarding link works.")
    session_starts_per_hour: int = Field(
        30, ge=1, description="Onboarding sessions one user may start per hour."
    )
    outbox_relay_interval_s: float = Field(2.0, gt=0)
    evse_id_block: int = Field(
        32,
        ge=1,
        le=10_000,
        description="Legacy EVSE ids a replica reserves with one counter write and hands out "
        "from memory; a restart leaves the rest of its block unused (ids stay unique).",
    )
    simulator_url: str | None = Field(
        None,
        description="Set when the vendor clouds are the simulator (development): the hosted "
        "pages say so, and makes without an integration get the simulated consent.",
    )

    def insecure_settings(self) -> list[str]:
        insecure = super().insecure_settings()
        if self.jwt_private_key_file is None:
            insecure.append("EVSE_JWT_PRIVATE_KEY_FILE")
        if self.simulator_url is not None:
            insecure.append("EVSE_SIMULATOR_URL (simulated vendor consent)")
        return insecure
