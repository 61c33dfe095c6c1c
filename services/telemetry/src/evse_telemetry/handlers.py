"""One small function per telemetry query subject: ask the queries, reply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evse_contracts.catalogue import (
    EVSE_FIRMWARE_VERSIONS_LIST,
    EvseFirmwareVersion,
    ListEvseFirmwareVersions,
)
from evse_contracts.pagination import MAX_LIMIT, Page
from evse_contracts.problems import ServiceUnavailable
from evse_contracts.telemetry import (
    CONNECTIVITY_GET,
    LOG_GET_ROUTES,
    LOG_KINDS,
    LOG_LIST_ROUTES,
    Connectivity,
    GetConnectivity,
    GetLog,
    ListLogs,
    LogKind,
)
from evse_runtime.bus_client import BusClient, RemoteProblem
from evse_runtime.principals import caller
from evse_runtime.registry import registry_lookup
from evse_runtime.responders import Handler, RequestContext
from evse_runtime.service import Runtime

from .queries import FirmwareVersionsOf, LogQueries
from .store import TelemetryStore

__all__ = ["catalogue_firmware_versions", "register_handlers"]


def catalogue_firmware_versions(bus: BusClient) -> FirmwareVersionsOf:
    """Ask the catalogue; if it cannot answer, the comparison is unknown rather than an error."""

    async def versions_of(evse_model_uid: str) -> Sequence[EvseFirmwareVersion] | None:
        request = ListEvseFirmwareVersions(evse_model_id=evse_model_uid, limit=MAX_LIMIT)
        try:
            page = await bus.request(EVSE_FIRMWARE_VERSIONS_LIST, request)
        except (ServiceUnavailable, RemoteProblem):
            return None
        return page.results

    return versions_of


def _list(queries: LogQueries, kind: LogKind) -> Handler[ListLogs, Page[Any]]:
    async def list_logs(request: ListLogs, ctx: RequestContext) -> Page[Any]:
        return await queries.list_logs(kind, request, caller(ctx))

    return list_logs


def _get(queries: LogQueries, kind: LogKind) -> Handler[GetLog, Any]:
    async def get_log(request: GetLog, ctx: RequestContext) -> Any:
        return await queries.get_log(kind, request, caller(ctx))

    return get_log


def register_handlers(runtime: Runtime, store: TelemetryStore) -> None:
    bus = BusClient(runtime.nc, timeout_s=runtime.settings.request_timeout_s)
    queries = LogQueries(store, catalogue_firmware_versions(bus), registry_lookup(bus))

    async def get_connectivity(request: GetConnectivity, ctx: RequestContext) -> Connectivity:
        return await queries.connectivity(request, caller(ctx))

    for kind in LOG_KINDS:
        runtime.respond(LOG_LIST_ROUTES[kind], _list(queries, kind))
        runtime.respond(LOG_GET_ROUTES[kind], _get(queries, kind))
    runtime.respond(CONNECTIVITY_GET, get_connectivity)
