from __future__ import annotations

from evse_runtime.settings import ServiceSettings

__all__ = ["CatalogueSettings"]


class CatalogueSettings(ServiceSettings):
    database: str = "evse_catalogue"
