"""`/v2/evse_makes` and `/v2/evse_models`: the public charger catalogue.

Anonymous callers are rate limited per client IP (`count_anonymous`, called in each route
rather than as a dependency to keep the hot path free of dependency resolution). Reads are
served through the gateway's catalogue cache (`ETag`, `304`; see `catalogue_cache`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from evse_contracts.catalogue import (
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
    OnboardingMethod,
)
from evse_contracts.pagination import DEFAULT_LIMIT, ListResponse

from ..catalogue_cache import CACHE_RESPONSES, cached_response
from ..deps import ask, ask_json
from ..params import CursorQuery, LimitQuery, uid_path, uid_query
from ..problems import problem_responses
from ..rate_limit import count_anonymous, with_quota
from ..responses import list_body

__all__ = ["router"]

router = APIRouter(tags=["EVSE catalogue"])


@router.get(
    "/evse_makes",
    response_model=ListResponse[EvseMake],
    responses={**problem_responses(400, 429, 503), **CACHE_RESPONSES},
)
async def list_evse_makes(
    request: Request,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    name: Annotated[str | None, Query(max_length=100, description="Name prefix.")] = None,
) -> Response:
    """List all the EVSE makes known by the system."""
    quota = await count_anonymous(request)
    query = ListEvseMakes(limit=limit, cursor=cursor, name=name)

    async def read() -> bytes:
        return list_body(request, await ask(request, EVSE_MAKES_LIST, query))

    return with_quota(await cached_response(request, read), quota)


@router.get(
    "/evse_makes/{evse_make_id}",
    response_model=EvseMake,
    responses={
        **problem_responses(429, 503, slugs={404: ["evse-make-not-found"]}),
        **CACHE_RESPONSES,
    },
)
async def get_evse_make(
    request: Request, evse_make_id: Annotated[str, uid_path("evsemake", "The make's uid.")]
) -> Response:
    """Retrieve details for a single, specific EVSE make."""
    quota = await count_anonymous(request)
    get = GetEvseMake(uid=evse_make_id)
    response = await cached_response(request, lambda: ask_json(request, EVSE_MAKES_GET, get))
    return with_quota(response, quota)


@router.get(
    "/evse_models",
    response_model=ListResponse[EvseModel],
    responses={**problem_responses(400, 429, 503), **CACHE_RESPONSES},
)
async def list_evse_models(
    request: Request,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    evse_make_id: Annotated[str | None, uid_query("evsemake", "Only this make's models.")] = None,
    onboarding_method: Annotated[OnboardingMethod | None, Query()] = None,
) -> Response:
    """List all the EVSE models known by the system."""
    quota = await count_anonymous(request)
    query = ListEvseModels(
        limit=limit, cursor=cursor, evse_make_id=evse_make_id, onboarding_method=onboarding_method
    )

    async def read() -> bytes:
        return list_body(request, await ask(request, EVSE_MODELS_LIST, query))

    return with_quota(await cached_response(request, read), quota)


@router.get(
    "/evse_models/{evse_model_id}",
    response_model=EvseModel,
    responses={
        **problem_responses(429, 503, slugs={404: ["evse-model-not-found"]}),
        **CACHE_RESPONSES,
    },
)
async def get_evse_model(
    request: Request, evse_model_id: Annotated[str, uid_path("evsemodel", "The model's uid.")]
) -> Response:
    """Retrieve details for a single, specific EVSE model."""
    quota = await count_anonymous(request)
    get = GetEvseModel(uid=evse_model_id)
    response = await cached_response(request, lambda: ask_json(request, EVSE_MODELS_GET, get))
    return with_quota(response, quota)
