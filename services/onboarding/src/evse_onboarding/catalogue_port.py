"""What onboarding asks the catalogue: makes, models, compatibility and the waitlist.

A port, so the flow and the importer hold no bus client; `bus_ports.CatalogueOverBus`
answers it with the catalogue's request/reply subjects. The catalogue's problems (an unknown
make or model, a waitlist refusal) arrive as `DomainError`s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from evse_contracts.catalogue import EvseMake, EvseModel, OnboardingMethod
from evse_contracts.compatibility import CheckEvseCompatibility, EvseCompatibility
from evse_contracts.waitlist import JoinEvseWaitlist, WaitlistJoined

__all__ = ["CatalogueReader"]


class CatalogueReader(Protocol):
    async def make(self, uid: str, *, request_id: str) -> EvseMake: ...

    async def makes(self, *, request_id: str) -> Sequence[EvseMake]:
        """Every make (one page of the largest size)."""
        ...

    async def model(self, uid: str, *, request_id: str) -> EvseModel: ...

    async def models(
        self,
        *,
        request_id: str,
        evse_make_id: str | None = None,
        onboarding_method: OnboardingMethod | None = None,
    ) -> Sequence[EvseModel]:
        """The models matching the filters (one page of the largest size)."""
        ...

    async def compatibility(
        self, check: CheckEvseCompatibility, *, request_id: str
    ) -> EvseCompatibility: ...

    async def join_waitlist(self, join: JoinEvseWaitlist, *, request_id: str) -> WaitlistJoined: ...
