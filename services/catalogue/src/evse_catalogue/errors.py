"""Catalogue domain errors; each becomes a problem with the slug the API documents."""

from __future__ import annotations

from evse_contracts.problems import NotFound

__all__ = ["EvseMakeNotFound", "EvseModelNotFound"]


class EvseMakeNotFound(NotFound):
    slug = "evse-make-not-found"
    title = "EVSE make not found"

    def __init__(self, uid: str) -> None:
        super().__init__(f"no EVSE make has uid {uid!r}")


class EvseModelNotFound(NotFound):
    slug = "evse-model-not-found"
    title = "EVSE model not found"

    def __init__(self, uid: str) -> None:
        super().__init__(f"no EVSE model has uid {uid!r}")
