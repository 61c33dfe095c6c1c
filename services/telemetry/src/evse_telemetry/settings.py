from __future__ import annotations

from pydantic import Field

from evse_runtime.settings import ServiceSettings

__all__ = ["TelemetrySettings"]


class TelemetrySettings(ServiceSettings):
    database: str = "evse_telemetry"
    retention_days: int = Field(400, ge=1, description="Logs older than this are deleted (TTL).")
    batch_size: int = Field(
        2000,
        ge=1,
        le=10_000,
        description=(
            "Most messages fetched per pull (a pull returns what is there at once). Each "
            "batch costs one connectivity upsert per EVSE in it, so larger batches write less."
        ),
    )
    fetch_timeout_s: float = Field(1.0, gt=0, description="Longest wait for a pull to fill.")
    ack_wait_s: float = Field(30.0, gt=0, description="Unacked messages are redelivered after it.")
    max_deliver: int = Field(20, ge=1, description="Deliveries before JetStream gives up.")
    pulls_per_consumer: int = Field(
        2,
        ge=1,
        le=16,
        description=(
            "Log batches in flight per log consumer and replica: with 2, the next batch is "
            "fetched and validated while the store writes the current one."
        ),
    )
    write_retry_max_s: float = Field(5.0, gt=0, description="Cap of the store retry backoff.")
