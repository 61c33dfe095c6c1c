"""`/v2/evse_compatibility/check`: will this charger work where the user is? (public)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from evse_contracts.compatibility import (
    EVSE_COMPATIBILITY_CHECK,
    VALIDATION_SLUG,
    CheckEvseCompatibility,
    EvseCompatibility,
)
from evse_contracts.fields import CountryCode

from ..deps import ask_json
from ..params import AcceptLanguage, uid_query
from ..problems import VALIDATION_PROBLEM_KEY, problem_responses
from ..responses import raw_json_response

__all__ = ["router"]

router = APIRouter(tags=["EVSE compatibility"])


@router.get(
    "/evse_compatibility/check",
    response_model=EvseCompatibility,
    responses=problem_responses(
        400, 503, slugs={404: ["evse-model-not-found", "program-not-found"]}
    ),
    openapi_extra={VALIDATION_PROBLEM_KEY: VALIDATION_SLUG},
)
async def check_evse_compatibility(
    request: Request,
    evse_model_id: Annotated[str, uid_query("evsemodel", "uid of an EVSE model.")],
    country: Annotated[
        CountryCode | None,
        Query(description="ISO 3166-1 alpha-2 country code (any letter case)."),
    ] = None,
    program_id: Annotated[
        str | None,
        uid_query(
            "program",
            "Also require membership of this program; its "
            "country replaces `country` and `Accept-Language`.",
        ),
    ] = None,
    accept_language: Annotated[
        AcceptLanguage, Header(description="Used for the country when `country` is absent.")
    ] = None,
) -> Response:
    """Whether the EVSE model is supported in the country, and whether as beta or live.

    Country: the `country` parameter, else the region of the most preferred
    `Accept-Language` tag that has one, else `US`; with `program_id`, the program's country.
    """
    check = CheckEvseCompatibility(
        evse_model_id=evse_model_id,
        country=country,
        program_id=program_id,
        accept_language=accept_language,
    )
    return raw_json_response(await ask_json(request, EVSE_COMPATIBILITY_CHECK, check))
