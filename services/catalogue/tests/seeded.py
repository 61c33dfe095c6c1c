"""The shipped seed as an in-memory snapshot, built the way the service builds it."""

from __future__ import annotations

from typing import Any

from evse_catalogue.seed import load_seed
from evse_catalogue.snapshot import CatalogueSnapshot

_KEYS = {
    "evse_makes": ("makes", "uid"),
    "evse_models": ("models", "uid"),
    "evse_firmware_versions": ("firmware_versions", "uid"),
    "programs": ("programs", "uid"),
    "compatibility_regions": ("regions", "region"),
}


def snapshot_of_seed() -> CatalogueSnapshot:
    documents: dict[str, list[dict[str, Any]]] = {}
    for kind, rows in load_seed().items():
        name, key = _KEYS[kind]
        documents[name] = [
            {"_id": r[key], **{k: v for k, v in r.items() if k != key}} for r in rows
        ]
    return CatalogueSnapshot.from_documents(**documents)
