"""The public EVSE waitlist: who to tell when their charger becomes supported."""

from __future__ import annotations

from pydantic import EmailStr, Field

from .base import Contract, UtcDateTime
from .bus import Route
from .compatibility import ACCEPT_LANGUAGE_MAX_LENGTH

__all__ = [
    "EVSE_WAITLIST_JOIN",
    "EvseWaitlistEntry",
    "EvseWaitlistSignup",
    "JoinEvseWaitlist",
    "WaitlistJoined",
]


class EvseWaitlistSignup(Contract):
    """The HTTP body: the device in exactly one mode, picker or manual, and an email."""

    email: EmailStr = Field(max_length=254)
    evse_model_id: str | None = Field(
        None, max_length=64, description="Picker mode: uid of an EVSE model."
    )
    evse_make_name: str | None = Field(
        None, max_length=100, description="Manual mode, with `evse_model_name`."
    )
    evse_model_name: str | None = Field(
        None, max_length=100, description="Manual mode, with `evse_make_name`."
    )
    program_id: str | None = Field(None, max_length=64)


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
