"""The catalogue data shipped with the service, loaded idempotently."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from .store import CatalogueStore

__all__ = ["load_seed", "seed_catalogue"]


def load_seed() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads(
        files("evse_catalogue").joinpath("data/catalogue.json").read_text()
    )
    return data


async def seed_catalogue(store: CatalogueStore) -> None:
    """Upsert the shipped catalogue; running it again changes nothing."""
    data = load_seed()
    await store.upsert_makes(data["evse_makes"])
    await store.upsert_models(data["evse_models"])
    await store.upsert_firmware_versions(data["evse_firmware_versions"])
    await store.upsert_programs(data["programs"])
    await store.upsert_regions(data["compatibility_regions"])
