"""An EVSE's capabilities, derived by the library from how the EVSE is connected.

Cloud chargers: the provider's row in `VENDOR_CAPABILITIES`. OCPP chargers (no provider, or
one of `OCPP_PROVIDERS`): from the configuration keys the charger reported to the bridge
(`GetConfiguration` after each boot). Before its first boot only the Core profile every OCPP
1.6J charger implements is assumed, so an app is never told a command works when it may not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from evse_contracts.auth import Principal
from evse_contracts.bridge import OCPP_PROVIDERS
from evse_contracts.evses import Evse, EvseRef
from evse_contracts.smart_charging import Capabilities, GetCapabilities
from evse_runtime.registry import EvseLookup
from evse_smart_charging.capabilities import for_ocpp, for_vendor

from .errors import EvseNotFound

__all__ = [
    "OCPP_BASELINE",
    "OCPP_RATED_CURRENT_A",
    "CapabilityReader",
    "ConfigurationLookup",
    "rated_current_a",
]

OCPP_BASELINE = {"SupportedFeatureProfiles": "Core"}
"""The configuration every OCPP 1.6J charger has: Core is the one mandatory profile."""

OCPP_RATED_CURRENT_A = 32.0
"""The usual ceiling of a three-phase wallbox, used until the charger reports its own."""

ConfigurationLookup = Callable[[str], Awaitable[Mapping[str, str]]]
"""evse_uid → the OCPP configuration keys its charger reported (empty before its first boot)."""


def rated_current_a(capabilities: Capabilities) -> float:
    """What the charger draws when nothing limits it."""
    return capabilities.max_current_a or OCPP_RATED_CURRENT_A


class CapabilityReader:
    def __init__(self, lookup: EvseLookup, configuration: ConfigurationLookup) -> None:
        self._lookup = lookup
        self._configuration = configuration

    async def visible(self, evse_id: str, principal: Principal) -> Evse:
        """The EVSE as the caller may see it; a decommissioned one is not found."""
        evse = await self._lookup(EvseRef(evse_id=evse_id), principal)
        if evse.state == "decommissioned":
            raise EvseNotFound(evse_id)
        return evse

    async def of(self, evse: Evse) -> Capabilities:
        if evse.provider is None or evse.provider in OCPP_PROVIDERS:
            reported = await self._configuration(evse.uid)
            return for_ocpp({**OCPP_BASELINE, **reported}, max_current_a=OCPP_RATED_CURRENT_A)
        return for_vendor(evse.provider)

    async def get(self, request: GetCapabilities, principal: Principal) -> Capabilities:
        return await self.of(await self.visible(request.evse_id, principal))
