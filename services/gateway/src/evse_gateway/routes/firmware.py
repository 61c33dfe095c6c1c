"""`/v2/evse_firmware_versions`: published (production) firmware releases per EVSE model.

Served through the gateway's catalogue cache (`ETag`, `304`; see `catalogue_cache`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evse_contracts.catalogue import (
    EVSE_FIRMWARE_VERSIONS_GET,
    EVSE_FIRMWARE_VERSIONS_LIST,
    EvseFirmwareVersion,
    GetEvseFirmwareVersion,
    ListEvseFirmwareVersions,
)
from evse_contracts.pagination import DEFAULT_LIMIT, ListResponse

from ..catalogue_cache import CACHE_RESPONSES, cached_response
from ..deps import ask, ask_json
from ..params import CursorQuery, LimitQuery, uid_path, uid_query
from ..problems import problem_responses
from ..responses import list_body

__all__ = ["router"]

router = APIRouter(tags=["EVSE catalogue"])


@router.get(
    "/evse_firmware_versions",
    response_model=ListResponse[EvseFirmwareVersion],
    responses={**problem_responses(400, 503), **CACHE_RESPONSES},
)
async def list_evse_firmware_versions(
    request: Request,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    evse_make_id: Annotated[str | None, uid_query("evsemake", "Only this make's firmware.")] = None,
    evse_model_id: Annotated[
        str | None, uid_query("evsemodel", "Only this model's firmware.")
    ] = None,
) -> Response:
    """List EVSE firmware versions flagged as production releases, newest release first."""
    query = ListEvseFirmwareVersions(
        limit=limit, cursor=cursor, evse_make_id=evse_make_id, evse_model_id=evse_model_id
    )

    async def read() -> bytes:
        return list_body(request, await ask(request, EVSE_FIRMWARE_VERSIONS_LIST, query))

    return await cached_response(request, read)


@router.get(
    "/evse_firmware_versions/{evse_firmware_version_id}",
    response_model=EvseFirmwareVersion,
    responses={
        **problem_responses(503, slugs={404: ["evse-firmware-version-not-found"]}),
        **CACHE_RESPONSES,
    },
)
async def get_evse_firmware_version(
    request: Request,
    evse_firmware_version_id: Annotated[str, uid_path("evsefw", "The firmware version's uid.")],
) -> Response:
    """Retrieve a single production EVSE firmware version by ID."""
    get = GetEvseFirmwareVersion(uid=evse_firmware_version_id)
    return await cached_response(
        request, lambda: ask_json(request, EVSE_FIRMWARE_VERSIONS_GET, get)
    )
