"""Resource identifiers: a type prefix followed by a ULID (`evse01JD7...`)."""

from __future__ import annotations

import re

from ulid import ULID

__all__ = ["UID_PREFIXES", "is_uid", "new_uid"]

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


def new_uid(prefix: str) -> str:
    """Return a fresh, time-ordered uid with the given type prefix."""
    if prefix not in UID_PREFIXES:
        raise ValueError(f"unknown uid prefix {prefix!r}")
    return f"{prefix}{ULID()}"


def is_uid(value: str, prefix: str) -> bool:
    """Tell whether `value` is a well-formed uid of the given type."""
    return re.fullmatch(f"{re.escape(prefix)}{_ULID}", value) is not None
