"""Resource identifiers: a type prefix followed by a ULID (`evse01JD7...`)."""

from __future__ import annotations

import re
import secrets

from ulid import ULID

__all__ = ["EVSE_ID_PATTERN", "UID_PREFIXES", "is_uid", "new_capability", "new_uid", "uid_pattern"]

UID_PREFIXES = frozenset(
    {
        "evse",
        "evsemake",
        "evsemodel",
        "evsefw",
        "program",
        "user",
        "app",
        "waitlist",
        "onb",
        "cmd",
        "whsub",
        "vacct",
    }
)
_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"
_LEGACY_ID = r"[0-9]{1,18}"
"""A legacy integer primary key: at most 18 digits, so it always fits an int64."""


def uid_pattern(prefix: str) -> str:
    """The anchored regex of a uid of the given type, as the OpenAPI document states it."""
    if prefix not in UID_PREFIXES:
        raise ValueError(f"unknown uid prefix {prefix!r}")
    return f"^{prefix}{_ULID}$"


EVSE_ID_PATTERN = f"^(?:evse{_ULID}|{_LEGACY_ID})$"
"""An EVSE is addressed by its uid or by its legacy integer id."""


def new_uid(prefix: str) -> str:
    """Return a fresh, time-ordered uid with the given type prefix."""
    if prefix not in UID_PREFIXES:
        raise ValueError(f"unknown uid prefix {prefix!r}")
    return f"{prefix}{ULID()}"


def new_capability(prefix: str) -> str:
    """Return an unguessable id (256 random bits) for something whose id alone grants access.

    ULIDs are not that: they are time-ordered, and python-ulid's monotonic generator makes two
    ULIDs of one millisecond differ by one.
    """
    if prefix not in UID_PREFIXES:
        raise ValueError(f"unknown uid prefix {prefix!r}")
    return f"{prefix}{secrets.token_urlsafe(32)}"


def is_uid(value: str, prefix: str) -> bool:
    """Tell whether `value` is a well-formed uid of the given type."""
    return re.fullmatch(f"{re.escape(prefix)}{_ULID}", value) is not None
