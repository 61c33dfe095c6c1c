"""Countries: ISO 3166-1 alpha-2 codes, and the ones an `Accept-Language` header names."""

from __future__ import annotations

import re
from collections.abc import Iterator

import langcodes
import pycountry
from langcodes.tag_parser import LanguageTagError

__all__ = ["countries_in_accept_language", "iso_country"]

_QUALITY = re.compile(r"^q\s*=\s*(0(\.\d{0,3})?|1(\.0{0,3})?)$", re.IGNORECASE)


def iso_country(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code `value` spells (in any case), or None if it is none."""
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        return None
    country = pycountry.countries.get(alpha_2=value.upper())
    return None if country is None else str(country.alpha_2)


def countries_in_accept_language(header: str) -> Iterator[str]:
    """Countries of the header's language tags, most preferred first (RFC 9110 q-values).

    Tags without a region subtag, with a region that is not a country (`es-419`), with
    `q=0`, or that do not parse are skipped.
    """
    for tag in _tags_by_preference(header):
        try:
            territory = langcodes.Language.get(tag).territory
        except LanguageTagError:
            continue
        country = None if territory is None else iso_country(territory)
        if country is not None:
            yield country


def _tags_by_preference(header: str) -> list[str]:
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        quality = _quality(params)
        if tag and tag != "*" and quality:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def _quality(params: list[str]) -> float | None:
    """The entry's q-value (1 when absent); None when it is malformed."""
    quality = 1.0
    for param in params:
        if param[:1].lower() != "q":
            continue
        match = _QUALITY.match(param)
        if match is None:
            return None
        quality = float(match.group(1))
    return quality
