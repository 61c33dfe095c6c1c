"""Smart-charging domain errors, each carrying its problem slug and status.

DomainError
├── CapabilityMissing  (command-not-supported, 422)
├── CurrentLimitOutOfRange (current-limit-out-of-range, 422)
├── PlanImpossible     (plan-impossible, 422)
└── SiteLimitTooLow    (site-limit-too-low, 422)
"""

from __future__ import annotations

from evse_contracts.problems import DomainError, FieldError

__all__ = ["CapabilityMissing", "CurrentLimitOutOfRange", "PlanImpossible", "SiteLimitTooLow"]


class CapabilityMissing(DomainError):
    slug = "command-not-supported"
    status = 422
    title = "Command not supported by this EVSE"

    def __init__(self, evse_uid: str, capability: str) -> None:
        super().__init__(
            f"EVSE {evse_uid} cannot do this: its integration lacks the `{capability}` capability",
            errors=(FieldError(loc="capability", msg=capability, type="capability_missing"),),
        )
        self.capability = capability


class CurrentLimitOutOfRange(DomainError):
    slug = "current-limit-out-of-range"
    status = 422
    title = "Current limit outside the EVSE's range"

    def __init__(self, evse_uid: str, limit_a: float, low: float, high: float) -> None:
        super().__init__(
            f"EVSE {evse_uid} takes current limits from {low:g} A to {high:g} A, not {limit_a:g} A",
            errors=(
                FieldError(
                    loc="body.current_limit_a", msg=f"between {low:g} and {high:g}", type="range"
                ),
            ),
        )


class PlanImpossible(DomainError):
    slug = "plan-impossible"
    status = 422
    title = "No energy can be delivered before the departure"


class SiteLimitTooLow(DomainError):
    slug = "site-limit-too-low"
    status = 422
    title = "Site limit below the minimum current of its active chargers"

    def __init__(self, site_id: str, limit_a: float, paused: tuple[str, ...]) -> None:
        super().__init__(
            f"site {site_id}: {limit_a:g} A cannot give every active charger its minimum "
            f"current; these would be paused: {', '.join(paused)}",
            errors=tuple(
                FieldError(loc=f"body.members.{uid}", msg="would be paused", type="paused")
                for uid in paused
            ),
        )
        self.paused = paused
