"""The public EVSE compatibility check: is this model supported where the user is?"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Contract
from .bus import Route
from .catalogue import SupportLevel

__all__ = [
    "ACCEPT_LANGUAGE_MAX_LENGTH",
    "EVSE_COMPATIBILITY_CHECK",
    "VALIDATION_SLUG",
    "CheckEvseCompatibility",
    "CountrySource",
    "EvseCompatibility",
]

ACCEPT_LANGUAGE_MAX_LENGTH = 1024
"""The gateway forwards at most this much of `Accept-Language`; longer tails are cut."""

VALIDATION_SLUG = "validation-failed-evse-compatibility-check"
"""The check's invalid input, whether the gateway or the catalogue finds it."""

CountrySource = Literal["query", "accept_language", "program", "default"]


class CheckEvseCompatibility(Contract):
    """The check as the gateway forwards it: raw inputs, resolved and validated by the catalogue."""

    evse_model_id: str = Field(max_length=64)
    country: str | None = Field(None, max_length=64)
    program_id: str | None = Field(None, max_length=64)
    accept_language: str | None = Field(None, max_length=ACCEPT_LANGUAGE_MAX_LENGTH)


class EvseCompatibility(Contract):
    evse_model_id: str
    program_id: str | None = None
    country: str = Field(description="ISO 3166-1 alpha-2 country the check was made for.")
    country_source: CountrySource = Field(
        description="Where the country came from: the `country` query parameter, the "
        "`Accept-Language` header, the program's country, or the `US` default."
    )
    region: str | None = Field(description="Compatibility region of the country, if any.")
    supported: bool
    support: SupportLevel | None = Field(
        description="`live`, `beta` (early access), or null when not supported."
    )


EVSE_COMPATIBILITY_CHECK = Route(
    "catalogue.compatibility.check", CheckEvseCompatibility, EvseCompatibility
)
