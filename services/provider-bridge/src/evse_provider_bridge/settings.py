from __future__ import annotations

from evse_runtime.settings import ServiceSettings

__all__ = ["BridgeSettings"]


class BridgeSettings(ServiceSettings):
    database: str = "evse_provider_bridge"
