"""Answer log and connectivity queries for the EVSEs the caller may see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evse_contracts.auth import Principal
from evse_contracts.catalogue import EvseFirmwareVersion
from evse_contracts.pagination import Page, decode_cursor, encode_cursor
from evse_contracts.problems import InvalidCursor
from evse_contracts.telemetry import (
    LOG_LIST_ROUTES,
    Connectivity,
    GetConnectivity,
    GetLog,
    ListLogs,
    LogKind,
    to_utc_millis,
)
from evse_runtime.registry import EvseLookup

from .access import EvseAccess, visible
from .connectivity import firmware_status, render
from .errors import log_not_found
from .log_kinds import LOG_MODELS, time_field
from .store import ListQuery, TelemetryStore

__all__ = ["FirmwareVersionsOf", "LogQueries"]

FirmwareVersionsOf = Callable[[str], Awaitable[Sequence[EvseFirmwareVersion] | None]]
"""The production firmware versions of an EVSE model, or None if they cannot be had now."""

_CURSOR_KEYS = frozenset({"before"})


def _cursor_time(token: str) -> datetime:
    before = decode_cursor(token, keys=_CURSOR_KEYS)["before"]
    try:
        parsed = datetime.fromisoformat(before)
        if parsed.tzinfo is not None:
            return to_utc_millis(parsed)
    except ValueError:
        pass
    raise InvalidCursor("the cursor is not one this API issued")


@dataclass(frozen=True)
class LogQueries:
    store: TelemetryStore
    firmware_versions: FirmwareVersionsOf
    registry: EvseLookup

    async def _visible(self, evse_id: str, principal: Principal) -> EvseAccess:
        return await visible(
            await self.store.find_access(evse_id), principal, evse_id, self.registry
        )

    async def list_logs(self, kind: LogKind, request: ListLogs, principal: Principal) -> Page[Any]:
        access = await self._visible(request.evse_id, principal)
        query = ListQuery(
            kind=kind,
            evse_uid=access.evse_uid,
            since=request.since,
            until=request.until,
            before=None if request.cursor is None else _cursor_time(request.cursor),
            limit=request.limit + 1,
        )
        docs = await self.store.list_logs(query)
        model = LOG_MODELS[kind]
        results = [model.model_validate(doc) for doc in docs[: request.limit]]
        next_cursor = None
        if len(docs) > request.limit:
            last: datetime = getattr(results[-1], time_field(kind))
            next_cursor = encode_cursor({"before": last.isoformat()})
        page: Page[Any] = LOG_LIST_ROUTES[kind].reply(results=results, next_cursor=next_cursor)
        return page

    async def get_log(self, kind: LogKind, request: GetLog, principal: Principal) -> Any:
        access = await self._visible(request.evse_id, principal)
        doc = await self.store.get_log(kind, access.evse_uid, request.at)
        if doc is None:
            raise log_not_found(kind, request.evse_id, request.at)
        return LOG_MODELS[kind].model_validate(doc)

    async def connectivity(self, request: GetConnectivity, principal: Principal) -> Connectivity:
        access = await self._visible(request.evse_id, principal)
        snapshot = await self.store.get_snapshot(access.evse_uid)
        recent = await self.store.reliability(access.evse_uid, datetime.now(UTC))
        versions = None
        if snapshot is not None and snapshot.firmware_version and access.evse_model_uid:
            versions = await self.firmware_versions(access.evse_model_uid)
        firmware = firmware_status(snapshot.firmware_version if snapshot else None, versions)
        return render(access.evse_uid, snapshot, recent, firmware)
