from __future__ import annotations

from evse_runtime.settings import ServiceSettings

__all__ = ["TelemetrySettings"]


class TelemetrySettings(ServiceSettings):
    database: str = "evse_telemetry"
