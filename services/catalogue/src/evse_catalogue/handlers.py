"""One small function per catalogue subject: ask the snapshot, reply."""

from __future__ import annotations

from nats.aio.msg import Msg

from evse_contracts.catalogue import (
    CATALOGUE_CHANGED,
    EVSE_MAKES_GET,
    EVSE_MAKES_LIST,
    EVSE_MODELS_GET,
    EVSE_MODELS_LIST,
    EvseMake,
    EvseModel,
    GetEvseMake,
    GetEvseModel,
    ListEvseMakes,
    ListEvseModels,
)
from evse_contracts.pagination import Page
from evse_runtime.responders import RequestContext
from evse_runtime.service import Runtime

from .holder import SnapshotHolder

__all__ = ["register_handlers"]


def register_handlers(runtime: Runtime, holder: SnapshotHolder) -> None:
    async def list_makes(request: ListEvseMakes, _: RequestContext) -> Page[EvseMake]:
        return holder.current.list_makes(request)

    async def get_make(request: GetEvseMake, _: RequestContext) -> EvseMake:
        return holder.current.get_make(request.uid)

    async def list_models(request: ListEvseModels, _: RequestContext) -> Page[EvseModel]:
        return holder.current.list_models(request)

    async def get_model(request: GetEvseModel, _: RequestContext) -> EvseModel:
        return holder.current.get_model(request.uid)

    async def reload_snapshot(_: Msg) -> None:
        await holder.reload()

    runtime.respond(EVSE_MAKES_LIST, list_makes)
    runtime.respond(EVSE_MAKES_GET, get_make)
    runtime.respond(EVSE_MODELS_LIST, list_models)
    runtime.respond(EVSE_MODELS_GET, get_model)
    runtime.listen(CATALOGUE_CHANGED, reload_snapshot)
