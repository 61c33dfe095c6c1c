"""Smart-charging domain errors; each becomes a problem with a stable slug."""

from __future__ import annotations

from evse_contracts.problems import NotFound

__all__ = ["EvseNotFound"]


class EvseNotFound(NotFound):
    """Unknown, decommissioned, or another tenant's EVSE: one answer, so nothing leaks."""

    slug = "evse-not-found"
    title = "EVSE not found"

    def __init__(self, evse_id: str) -> None:
        super().__init__(f"no EVSE {evse_id!r} is visible to the caller")
