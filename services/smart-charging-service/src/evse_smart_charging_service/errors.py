"""Smart-charging domain errors; each becomes a problem with a stable slug.

The library's own (`evse_smart_charging.errors`): command-not-supported, plan-impossible,
site-limit-too-low (422).
"""

from __future__ import annotations

from datetime import datetime

from evse_contracts.auth import ApplicationTokenRequired
from evse_contracts.evses import EvseNotFound
from evse_contracts.problems import DomainError, FieldError, NotFound, ValidationFailed

__all__ = [
    "ApplicationTokenRequired",
    "ChargePlanNotFound",
    "DepartureTooFar",
    "EvseInAnotherSite",
    "EvseNotFound",
    "SiteNotFound",
]


class SiteNotFound(NotFound):
    slug = "site-not-found"
    title = "Site not found"

    def __init__(self, site_id: str) -> None:
        super().__init__(f"the application has no site {site_id!r}")


class ChargePlanNotFound(NotFound):
    slug = "charge-plan-not-found"
    title = "Charge plan not found"

    def __init__(self, evse_id: str) -> None:
        super().__init__(f"EVSE {evse_id!r} has no charge plan")


class EvseInAnotherSite(DomainError):
    """One EVSE, one supply: balancing it in two sites would break both limits."""

    slug = "evse-in-another-site"
    status = 409
    title = "EVSE already in another site"

    def __init__(self, site_id: str) -> None:
        super().__init__(f"a member is already in site {site_id!r}; remove it there first")


class DepartureTooFar(ValidationFailed):
    """Plans look a week ahead at most: day-ahead prices cover less, and the schedule's size
    grows with the horizon."""

    def __init__(self, departure_at: datetime) -> None:
        super().__init__(
            f"the departure {departure_at.isoformat()} is more than 7 days ahead",
            errors=(
                FieldError(loc="body.departure_at", msg="within 7 days from now", type="range"),
            ),
        )
