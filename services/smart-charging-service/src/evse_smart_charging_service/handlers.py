"""One small function per smart-charging subject: who is asking, then the domain."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from evse_contracts.bridge import BRIDGE_OCPP_CONFIGURATION_GET, OcppConfigurationRef
from evse_contracts.bus import Empty
from evse_contracts.pagination import Page
from evse_contracts.smart_charging import (
    CAPABILITIES_GET,
    PLANS_DELETE,
    PLANS_GET,
    PLANS_PUT,
    SITES_DELETE,
    SITES_GET,
    SITES_LIST,
    SITES_PUT,
    Capabilities,
    ChargePlan,
    ChargePlanRef,
    GetCapabilities,
    ListSites,
    PutChargePlan,
    PutSite,
    Site,
    SiteRef,
)
from evse_runtime.bus_client import BusClient
from evse_runtime.principals import caller
from evse_runtime.responders import RequestContext
from evse_runtime.service import Runtime

from .capabilities import CapabilityReader, ConfigurationLookup
from .plans import PlanDesk
from .sites import SiteDesk

__all__ = ["bridge_configuration", "register_handlers"]


def bridge_configuration(bus: BusClient) -> ConfigurationLookup:
    async def configuration(evse_uid: str) -> Mapping[str, str]:
        reported = await bus.request(
            BRIDGE_OCPP_CONFIGURATION_GET, OcppConfigurationRef(evse_uid=evse_uid)
        )
        return reported.keys

    return configuration


def register_handlers(
    runtime: Runtime, capabilities: CapabilityReader, sites: SiteDesk, plans: PlanDesk
) -> None:
    async def get_capabilities(request: GetCapabilities, ctx: RequestContext) -> Capabilities:
        return await capabilities.get(request, caller(ctx))

    async def put_site(request: PutSite, ctx: RequestContext) -> Site:
        return await sites.put(request, caller(ctx), datetime.now(UTC))

    async def get_site(request: SiteRef, ctx: RequestContext) -> Site:
        return await sites.get(request, caller(ctx))

    async def list_sites(request: ListSites, ctx: RequestContext) -> Page[Site]:
        return await sites.list(request, caller(ctx))

    async def delete_site(request: SiteRef, ctx: RequestContext) -> Empty:
        await sites.delete(request, caller(ctx))
        return Empty()

    async def put_plan(request: PutChargePlan, ctx: RequestContext) -> ChargePlan:
        return await plans.put(request, caller(ctx), datetime.now(UTC))

    async def get_plan(request: ChargePlanRef, ctx: RequestContext) -> ChargePlan:
        return await plans.get(request, caller(ctx))

    async def delete_plan(request: ChargePlanRef, ctx: RequestContext) -> Empty:
        await plans.delete(request, caller(ctx))
        return Empty()

    runtime.respond(CAPABILITIES_GET, get_capabilities)
    runtime.respond(SITES_PUT, put_site)
    runtime.respond(SITES_GET, get_site)
    runtime.respond(SITES_LIST, list_sites)
    runtime.respond(SITES_DELETE, delete_site)
    runtime.respond(PLANS_PUT, put_plan)
    runtime.respond(PLANS_GET, get_plan)
    runtime.respond(PLANS_DELETE, delete_plan)
