"""Resource identifiers: a type prefix followed by a ULID (`evse01JD7...`).

A ULID names a resource; it is ordered and, within one millisecond, consecutive, so it
never grants access. Ids that do (links, sessions) come from `new_capability`.
"""

from __future__ import annotations

import re
import secrets

from ulid import ULID

__all__ = ["UID_PREFIXES", "is_uid", "new_capability", "new_uid"]

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
    }
)
_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_uid(prefix: str) -> str:
    """Return a fresh, time-ordered uid with the given type prefix."""
    if prefix not in UID_PREFIXES:
        raise ValueError(f"unknown uid prefix {prefix!r}")
    return f"{prefix}{ULID()}"


def new_capability(prefix: str) -> str:
    """Return an unguessable uid (130 random bits from `secrets`) in the uid format."""
    if prefix not in UID_PREFIXES:
        raise ValueError(f"unknown uid prefix {prefix!r}")
    return prefix + "".join(secrets.choice(_CROCKFORD) for _ in range(26))


def is_uid(value: str, prefix: str) -> bool:
    """Tell whether `value` is a well-formed uid of the given type."""
    return re.fullmatch(f"{re.escape(prefix)}{_ULID}", value) is not None
