"""The compatibility check: where the caller is, and whether a model is supported there."""

from __future__ import annotations

from dataclasses import dataclass

from evse_contracts.catalogue import EvseModel, Program, SupportLevel
from evse_contracts.compatibility import CheckEvseCompatibility, CountrySource, EvseCompatibility
from evse_contracts.ids import is_uid
from evse_contracts.problems import FieldError

from .countries import countries_in_accept_language, iso_country
from .errors import CompatibilityCheckInvalid
from .snapshot import CatalogueSnapshot

__all__ = ["DEFAULT_COUNTRY", "ResolvedCountry", "check_compatibility", "resolve_country"]

DEFAULT_COUNTRY = "US"


@dataclass(frozen=True)
class ResolvedCountry:
    country: str
    source: CountrySource


def resolve_country(
    *, program: Program | None, query: str | None, accept_language: str | None
) -> ResolvedCountry:
    """The program's country, else the query's, else the best `Accept-Language` one, else US."""
    if program is not None:
        return ResolvedCountry(program.country, "program")
    if query is not None:
        return ResolvedCountry(query, "query")
    if accept_language:
        for country in countries_in_accept_language(accept_language):
            return ResolvedCountry(country, "accept_language")
    return ResolvedCountry(DEFAULT_COUNTRY, "default")


def check_compatibility(
    request: CheckEvseCompatibility, catalogue: CatalogueSnapshot
) -> EvseCompatibility:
    """Validate, look the model (and program) up, resolve the country, and answer.

    Inputs are validated even when a program makes the `country` parameter irrelevant:
    a malformed parameter is a client bug either way.
    """
    query_country = _validated(request)
    model = catalogue.get_model(request.evse_model_id)
    program = None if request.program_id is None else catalogue.get_program(request.program_id)
    resolved = resolve_country(
        program=program, query=query_country, accept_language=request.accept_language
    )
    region = catalogue.region_of(resolved.country)
    in_program = program is None or model.uid in program.supported_evse_models
    support = _support_in(model, region) if in_program else None
    return EvseCompatibility(
        evse_model_id=model.uid,
        program_id=None if program is None else program.uid,
        country=resolved.country,
        country_source=resolved.source,
        region=region,
        supported=support is not None,
        support=support,
    )


def _validated(request: CheckEvseCompatibility) -> str | None:
    """The query's country as an ISO code, or raise with every invalid parameter."""
    errors: list[FieldError] = []
    if not is_uid(request.evse_model_id, "evsemodel"):
        errors.append(
            FieldError(
                loc="query.evse_model_id",
                msg=f"{request.evse_model_id!r} is not an EVSE model uid (evsemodel + ULID)",
            )
        )
    country = None
    if request.country is not None:
        country = iso_country(request.country)
        if country is None:
            errors.append(
                FieldError(
                    loc="query.country",
                    msg=f"{request.country!r} is not an ISO 3166-1 alpha-2 country code",
                )
            )
    if errors:
        raise CompatibilityCheckInvalid(tuple(errors))
    return country


def _support_in(model: EvseModel, region: str | None) -> SupportLevel | None:
    for entry in model.compatibility:
        if entry.region == region:
            return entry.support
    return None
