"""One small function per catalogue subject: parse, ask the snapshot, reply."""

from __future__ import annotations

from typing import Annotated

from faststream import Context
from faststream.nats import NatsRouter

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
from evse_runtime.service import request_router

from .holder import SnapshotHolder

__all__ = ["QUEUE", "build_router"]

QUEUE = "catalogue"
Holder = Annotated[SnapshotHolder, Context("snapshot")]


async def list_makes(request: ListEvseMakes, holder: Holder) -> Page[EvseMake]:
    return holder.current.list_makes(request)


async def get_make(request: GetEvseMake, holder: Holder) -> EvseMake:
    return holder.current.get_make(request.uid)


async def list_models(request: ListEvseModels, holder: Holder) -> Page[EvseModel]:
    return holder.current.list_models(request)


async def get_model(request: GetEvseModel, holder: Holder) -> EvseModel:
    return holder.current.get_model(request.uid)


async def reload_snapshot(_: object, holder: Holder) -> None:
    await holder.reload()


def build_router() -> NatsRouter:
    router = request_router()
    router.subscriber(EVSE_MAKES_LIST.subject, queue=QUEUE)(list_makes)
    router.subscriber(EVSE_MAKES_GET.subject, queue=QUEUE)(get_make)
    router.subscriber(EVSE_MODELS_LIST.subject, queue=QUEUE)(list_models)
    router.subscriber(EVSE_MODELS_GET.subject, queue=QUEUE)(get_model)
    changes = NatsRouter()
    changes.subscriber(CATALOGUE_CHANGED)(reload_snapshot)
    router.include_router(changes)
    return router
