"""Field types whose constraints the OpenAPI document states exactly as they are enforced.

Each is declared once and used by contracts and by the gateway's parameters, so the schema
a client is generated from and the validation a request meets are the same code.
"""

from __future__ import annotations

from typing import Annotated

import pycountry
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

__all__ = ["COUNTRY_CODES", "CURSOR_PATTERN", "CountryCode"]

COUNTRY_CODES: tuple[str, ...] = tuple(sorted(str(c.alpha_2) for c in pycountry.countries))
"""ISO 3166-1 alpha-2 codes; any letter case is accepted, the document lists upper case."""
_COUNTRIES = frozenset(COUNTRY_CODES)


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _known_country(value: str) -> str:
    if value not in _COUNTRIES:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


CountryCode = Annotated[
    str,
    BeforeValidator(_upper),
    AfterValidator(_known_country),
    WithJsonSchema({"type": "string", "enum": list(COUNTRY_CODES)}),
]

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,512}$"
"""An opaque page token as `encode_cursor` makes it: URL-safe base64 without padding."""
