"""The public EVSE waitlist: who to tell when their charger becomes supported."""

from __future__ import annotations

from pydantic import ConfigDict, EmailStr, Field, JsonValue

from .base import Contract, UtcDateTime
from .bus import Route
from .compatibility import ACCEPT_LANGUAGE_MAX_LENGTH
from .ids import uid_pattern

__all__ = [
    "EVSE_WAITLIST_JOIN",
    "VALIDATION_SLUG",
    "EvseWaitlistEntry",
    "EvseWaitlistSignup",
    "JoinEvseWaitlist",
    "WaitlistJoined",
]

VALIDATION_SLUG = "validation-failed-evse-waitlist"
"""A sign-up's invalid input, whether the gateway or the catalogue finds it."""


_NAME = r"\S"
"""A manual-mode name is not blank."""
_ABSENT: dict[str, JsonValue] = {"type": "null"}
_MODES: list[JsonValue] = [
    {
        "title": "Picker mode",
        "required": ["evse_model_id"],
        "properties": {
            "evse_model_id": {"type": "string"},
            "evse_make_name": _ABSENT,
            "evse_model_name": _ABSENT,
        },
    },
    {
        "title": "Manual mode",
        "required": ["evse_make_name", "evse_model_name"],
        "properties": {
            "evse_model_id": _ABSENT,
            "evse_make_name": {"type": "string", "pattern": _NAME},
            "evse_model_name": {"type": "string", "pattern": _NAME},
        },
    },
]
"""Exactly one mode (the catalogue enforces it, with the unknown-uid checks)."""


class EvseWaitlistSignup(Contract):
    """The HTTP body: the device in exactly one mode, picker or manual, and an email."""

    model_config = ConfigDict(json_schema_extra={"oneOf": _MODES})

    email: EmailStr = Field(max_length=254)
    evse_model_id: str | None = Field(
        None, pattern=uid_pattern("evsemodel"), description="Picker mode: uid of an EVSE model."
    )
    evse_make_name: str | None = Field(
        None, max_length=100, description="Manual mode, with `evse_model_name`."
    )
    evse_model_name: str | None = Field(
        None, max_length=100, description="Manual mode, with `evse_make_name`."
    )
    program_id: str | None = Field(None, pattern=uid_pattern("program"))


class JoinEvseWaitlist(Contract):
    """The sign-up as the gateway forwards it, with the caller's raw `Accept-Language`."""

    signup: EvseWaitlistSignup
    accept_language: str | None = Field(None, max_length=ACCEPT_LANGUAGE_MAX_LENGTH)


class EvseWaitlistEntry(Contract):
    uid: str
    email: str
    evse_model_id: str | None
    evse_make_name: str | None
    evse_model_name: str | None
    program_id: str | None
    country: str = Field(description="ISO 3166-1 alpha-2, derived server-side.")
    created_at: UtcDateTime


class WaitlistJoined(Contract):
    """The entry, and whether this request created it (else it existed already)."""

    entry: EvseWaitlistEntry
    created: bool


EVSE_WAITLIST_JOIN = Route("catalogue.evse_waitlist.join", JoinEvseWaitlist, WaitlistJoined)
