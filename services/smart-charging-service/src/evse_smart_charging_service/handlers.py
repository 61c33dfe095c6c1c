"""One small function per smart-charging subject: ask the domain, reply."""

from __future__ import annotations

from evse_contracts.auth import Principal
from evse_contracts.bus import PRINCIPAL_HEADER
from evse_contracts.evses import EVSES_GET, Evse, EvseRef
from evse_contracts.smart_charging import CAPABILITIES_GET, Capabilities, GetCapabilities
from evse_runtime.bus_client import BusClient
from evse_runtime.principals import caller
from evse_runtime.responders import RequestContext
from evse_runtime.service import Runtime

from .capabilities import EvseLookup, capabilities_of

__all__ = ["register_handlers", "registry_lookup"]


def registry_lookup(bus: BusClient) -> EvseLookup:
    """Ask the registry as the caller, so its tenant check (and its 404) applies unchanged."""

    async def lookup(ref: EvseRef, principal: Principal) -> Evse:
        headers = {PRINCIPAL_HEADER: principal.model_dump_json()}
        return await bus.request(EVSES_GET, ref, headers=headers)

    return lookup


def register_handlers(runtime: Runtime) -> None:
    lookup = registry_lookup(BusClient(runtime.nc, timeout_s=runtime.settings.request_timeout_s))

    async def get_capabilities(request: GetCapabilities, ctx: RequestContext) -> Capabilities:
        return await capabilities_of(request, caller(ctx), lookup)

    runtime.respond(CAPABILITIES_GET, get_capabilities)
