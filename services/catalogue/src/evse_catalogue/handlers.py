"""One small function per catalogue subject: ask the snapshot (or the store), reply."""

from __future__ import annotations

from datetime import UTC, datetime

from nats.aio.msg import Msg

from evse_contracts.catalogue import (
    CATALOGUE_CHANGED,
    CATALOGUE_RELOADED,
    EVSE_FIRMWARE_VERSIONS_GET,
    EVSE_FIRMWARE_VERSIONS_LIST,
    EVSE_MAKES_GET,
    EVSE_MAKES_LIST,
    EVSE_MODELS_GET,
    EVSE_MODELS_LIST,
    PROGRAMS_GET,
    PROGRAMS_LIST,
    EvseFirmwareVersion,
    EvseMake,
    EvseModel,
    GetEvseFirmwareVersion,
    GetEvseMake,
    GetEvseModel,
    GetProgram,
    ListEvseFirmwareVersions,
    ListEvseMakes,
    ListEvseModels,
    ListPrograms,
    Program,
)
from evse_contracts.compatibility import (
    EVSE_COMPATIBILITY_CHECK,
    CheckEvseCompatibility,
    EvseCompatibility,
)
from evse_contracts.ids import new_uid
from evse_contracts.pagination import Page
from evse_contracts.waitlist import EVSE_WAITLIST_JOIN, JoinEvseWaitlist, WaitlistJoined
from evse_runtime.responders import RequestContext
from evse_runtime.service import Runtime

from .compatibility import check_compatibility
from .holder import SnapshotHolder
from .store import CatalogueStore
from .waitlist import plan_waitlist_entry

__all__ = ["register_handlers"]


def register_handlers(runtime: Runtime, holder: SnapshotHolder, store: CatalogueStore) -> None:
    async def list_makes(request: ListEvseMakes, _: RequestContext) -> Page[EvseMake]:
        return holder.current.list_makes(request)

    async def get_make(request: GetEvseMake, _: RequestContext) -> EvseMake:
        return holder.current.get_make(request.uid)

    async def list_models(request: ListEvseModels, _: RequestContext) -> Page[EvseModel]:
        return holder.current.list_models(request)

    async def get_model(request: GetEvseModel, _: RequestContext) -> EvseModel:
        return holder.current.get_model(request.uid)

    async def list_firmware_versions(
        request: ListEvseFirmwareVersions, _: RequestContext
    ) -> Page[EvseFirmwareVersion]:
        return holder.current.list_firmware_versions(request)

    async def get_firmware_version(
        request: GetEvseFirmwareVersion, _: RequestContext
    ) -> EvseFirmwareVersion:
        return holder.current.get_firmware_version(request.uid)

    async def list_programs(request: ListPrograms, _: RequestContext) -> Page[Program]:
        return holder.current.list_programs(request)

    async def get_program(request: GetProgram, _: RequestContext) -> Program:
        return holder.current.get_program(request.uid)

    async def check(request: CheckEvseCompatibility, _: RequestContext) -> EvseCompatibility:
        return check_compatibility(request, holder.current)

    async def join_waitlist(request: JoinEvseWaitlist, _: RequestContext) -> WaitlistJoined:
        planned = plan_waitlist_entry(
            request, holder.current, uid=new_uid("waitlist"), now=datetime.now(UTC)
        )
        entry, created = await store.add_waitlist_entry(
            planned.entry, device_key=planned.device_key
        )
        return WaitlistJoined(entry=entry, created=created)

    async def reload_snapshot(_: Msg) -> None:
        await holder.reload()
        await runtime.nc.publish(CATALOGUE_RELOADED, b"{}")

    # Reads of the snapshot alone: a repeated one is answered with the bytes sent before.
    held = holder.replies
    runtime.respond(EVSE_MAKES_LIST, list_makes, memo=held)
    runtime.respond(EVSE_MAKES_GET, get_make, memo=held)
    runtime.respond(EVSE_MODELS_LIST, list_models, memo=held)
    runtime.respond(EVSE_MODELS_GET, get_model, memo=held)
    runtime.respond(EVSE_FIRMWARE_VERSIONS_LIST, list_firmware_versions, memo=held)
    runtime.respond(EVSE_FIRMWARE_VERSIONS_GET, get_firmware_version, memo=held)
    runtime.respond(PROGRAMS_LIST, list_programs, memo=held)
    runtime.respond(PROGRAMS_GET, get_program, memo=held)
    runtime.respond(EVSE_COMPATIBILITY_CHECK, check)
    runtime.respond(EVSE_WAITLIST_JOIN, join_waitlist)
    runtime.listen(CATALOGUE_CHANGED, reload_snapshot)
