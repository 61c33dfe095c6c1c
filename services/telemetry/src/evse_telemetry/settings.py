from __future__ import annotations

from pydantic import Field

from evse_runtime.backoff import Backoff
from evse_runtime.settings import ConsumerSettings, ServiceSettings

__all__ = ["TelemetrySettings"]


class TelemetrySettings(ServiceSettings, ConsumerSettings):
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
    pulls_per_consumer: int = Field(
        2,
        ge=1,
        le=16,
        description=(
            "Log batches in flight per log consumer and replica: with 2, the next batch is "
            "fetched and validated while the store writes the current one."
        ),
    )
    write_retry_initial_s: float = Field(
        0.1, gt=0, description="First delay of the store retry backoff."
    )
    write_retry_max_s: float = Field(5.0, gt=0, description="Cap of the store retry backoff.")

    @property
    def write_retry(self) -> Backoff:
        """How a store write that failed is retried while the batch is kept in hand."""
        return Backoff(self.write_retry_initial_s, self.write_retry_max_s)
