from __future__ import annotations

from pydantic import Field

from evse_runtime.settings import ServiceSettings

__all__ = ["CatalogueSettings"]


class CatalogueSettings(ServiceSettings):
    database: str = "evse_catalogue"
    reply_memo_bytes: int = Field(
        32 * 2**20,
        ge=0,
        description="Bytes of encoded read replies each replica keeps until its catalogue "
        "reloads (`evse_runtime.reply_memo`); 0 = off.",
    )
