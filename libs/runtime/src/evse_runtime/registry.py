"""Ask the registry (the onboarding service) for an EVSE, as the caller a service serves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from evse_contracts.auth import Principal
from evse_contracts.bus import PRINCIPAL_HEADER
from evse_contracts.evses import EVSES_GET, Evse, EvseRef

from .bus_client import BusClient

__all__ = ["EvseLookup", "registry_lookup"]

EvseLookup = Callable[[EvseRef, Principal], Awaitable[Evse]]


def registry_lookup(bus: BusClient) -> EvseLookup:
    """Ask the registry as the caller, so its tenant check (and its 404) applies unchanged."""

    async def lookup(ref: EvseRef, principal: Principal) -> Evse:
        headers = {PRINCIPAL_HEADER: principal.model_dump_json()}
        return await bus.request(EVSES_GET, ref, headers=headers)

    return lookup
