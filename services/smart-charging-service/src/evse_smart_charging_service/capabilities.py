"""An EVSE's capabilities, derived by the library from how the EVSE is connected.

Cloud chargers: the provider's row in `VENDOR_CAPABILITIES`. OCPP chargers (no provider, or
one of `OCPP_PROVIDERS`): from the configuration keys the charger reports; until the bridge
relays `GetConfiguration`, only the Core profile every OCPP 1.6J charger implements is assumed,
so an app is never told a command works when it may not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from evse_contracts.auth import Principal
from evse_contracts.bridge import OCPP_PROVIDERS
from evse_contracts.evses import Evse, EvseRef
from evse_contracts.smart_charging import Capabilities, GetCapabilities
from evse_smart_charging.capabilities import for_ocpp, for_vendor

from .errors import EvseNotFound

__all__ = [
    "OCPP_BASELINE",
    "OCPP_RATED_CURRENT_A",
    "EvseLookup",
    "capabilities_for",
    "capabilities_of",
    "rated_current_a",
    "visible_evse",
]

OCPP_BASELINE = {"SupportedFeatureProfiles": "Core"}
"""The configuration every OCPP 1.6J charger has: Core is the one mandatory profile."""

OCPP_RATED_CURRENT_A = 32.0
"""The usual ceiling of a three-phase wallbox, used until the charger reports its own."""

EvseLookup = Callable[[EvseRef, Principal], Awaitable[Evse]]


async def visible_evse(evse_id: str, principal: Principal, lookup: EvseLookup) -> Evse:
    """The EVSE as the caller may see it; a decommissioned one is not found."""
    evse = await lookup(EvseRef(evse_id=evse_id), principal)
    if evse.state == "decommissioned":
        raise EvseNotFound(evse_id)
    return evse


def capabilities_for(evse: Evse) -> Capabilities:
    if evse.provider is None or evse.provider in OCPP_PROVIDERS:
        return for_ocpp(OCPP_BASELINE, max_current_a=OCPP_RATED_CURRENT_A)
    return for_vendor(evse.provider)


def rated_current_a(capabilities: Capabilities) -> float:
    """What the charger draws when nothing limits it."""
    return capabilities.max_current_a or OCPP_RATED_CURRENT_A


async def capabilities_of(
    request: GetCapabilities, principal: Principal, lookup: EvseLookup
) -> Capabilities:
    return capabilities_for(await visible_evse(request.evse_id, principal, lookup))
