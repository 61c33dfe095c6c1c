"""Path, query and header parameters shared by routes, with the constraints they enforce.

The patterns come from `evse_contracts.ids` and `fields`, so the OpenAPI document states
exactly what a request is validated against. The scopes a route requires are
`evse_contracts.auth.EVSES_READ`, `EVSES_WRITE` and `ONBOARDING`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator

from evse_contracts.compatibility import ACCEPT_LANGUAGE_MAX_LENGTH
from evse_contracts.fields import CURSOR_PATTERN
from evse_contracts.ids import EVSE_ID_PATTERN, uid_pattern
from evse_contracts.pagination import MAX_LIMIT

__all__ = [
    "AcceptLanguage",
    "CursorQuery",
    "EvseId",
    "LimitQuery",
    "instant_path",
    "instant_query",
    "uid_path",
    "uid_query",
]

_INSTANT = {"format": "date-time"}
"""RFC 3339 (a missing offset is also accepted and means UTC)."""


def uid_path(prefix: str, description: str) -> Any:
    """A path parameter holding a uid of the given type (`evsemodel01J…`)."""
    return Path(pattern=uid_pattern(prefix), description=description)


def uid_query(prefix: str, description: str) -> Any:
    """An optional query parameter holding a uid of the given type."""
    return Query(pattern=uid_pattern(prefix), description=description)


EvseId = Annotated[
    str, Path(pattern=EVSE_ID_PATTERN, description="The EVSE's uid, or its legacy integer id.")
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
CursorQuery = Annotated[
    str | None,
    Query(pattern=CURSOR_PATTERN, description="Opaque cursor from a previous page's `next`."),
]


def _head_of_accept_language(value: str | None) -> str | None:
    """A client may send any number of language tags; the most preferred come first, so a
    long header is cut rather than refused."""
    return None if value is None else value[:ACCEPT_LANGUAGE_MAX_LENGTH]


AcceptLanguage = Annotated[str | None, AfterValidator(_head_of_accept_language)]
"""The `Accept-Language` header as it is forwarded; a route adds `Header(description=…)`."""


def instant_path(alias: str, description: str) -> Any:
    """A path parameter holding an ISO 8601 instant (parsed by the route, any offset)."""
    return Path(alias=alias, max_length=40, json_schema_extra=_INSTANT, description=description)


def instant_query(description: str, alias: str | None = None) -> Any:
    """An optional query parameter holding an ISO 8601 instant."""
    return Query(alias=alias, max_length=40, json_schema_extra=_INSTANT, description=description)
