from __future__ import annotations

from evse_runtime.settings import ServiceSettings

__all__ = ["SmartChargingSettings"]


class SmartChargingSettings(ServiceSettings):
    database: str = "evse_smart_charging"
