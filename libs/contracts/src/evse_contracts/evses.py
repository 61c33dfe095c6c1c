"""EVSE lifecycle events published by onboarding on the `EVSE_EVENTS` stream.

Other services keep what they need of the registry from these events (the bridge its
polling schedule, telemetry who may read an EVSE's logs) instead of reading onboarding's
collections.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from .base import Contract, UtcDateTime
from .bridge import CommandAccepted, EvseCommand
from .bus import Empty, Route
from .catalogue import EvseMakeSummary, OnboardingMethod, VppModeCapability
from .pagination import Page, PageQuery
from .problems import NotFound
from .vendor_accounts import LinkBrokenReason

__all__ = [
    "EVSES_COMMAND",
    "EVSES_DECOMMISSION",
    "EVSES_GET",
    "EVSES_LIST",
    "EVSES_RECONNECT",
    "EVSES_VPP_MODES",
    "EVSE_DECOMMISSIONED",
    "EVSE_EVENTS_STREAM",
    "EVSE_EVENTS_SUBJECTS",
    "EVSE_ONBOARDED",
    "EVSE_RECONNECTED",
    "Evse",
    "EvseDecommissioned",
    "EvseModelSummary",
    "EvseNotFound",
    "EvseOnboarded",
    "EvseReconnected",
    "EvseRef",
    "EvseState",
    "EvseVendorLink",
    "EvseVppModes",
    "ListEvses",
    "ReconnectionUrl",
    "SendEvseCommand",
    "parse_evse_ref",
]

EVSE_EVENTS_STREAM = "EVSE_EVENTS"
EVSE_EVENTS_SUBJECTS = "evses.events.>"
EVSE_ONBOARDED = "evses.events.onboarded"
EVSE_DECOMMISSIONED = "evses.events.decommissioned"
EVSE_RECONNECTED = "evses.events.reconnected"


class EvseNotFound(NotFound):
    """Unknown, decommissioned, or another tenant's EVSE: one answer, so nothing leaks. Every
    service that reads an EVSE raises this one."""

    slug = "evse-not-found"
    title = "EVSE not found"

    def __init__(self, evse_id: str) -> None:
        super().__init__(f"no EVSE {evse_id!r} is visible to the caller")


class EvseOnboarded(Contract):
    evse_uid: str
    evse_id: int = Field(description="Legacy integer id.")
    application_uid: str
    user_uid: str | None
    evse_model_uid: str
    provider: str | None = Field(description="Vendor cloud, or None for OCPP-connected chargers.")
    serial_number: str
    vendor_device_id: str | None = None
    occurred_at: UtcDateTime


class EvseDecommissioned(Contract):
    evse_uid: str
    evse_id: int
    application_uid: str
    occurred_at: UtcDateTime


class EvseReconnected(Contract):
    evse_uid: str
    evse_id: int
    application_uid: str
    user_uid: str | None
    occurred_at: UtcDateTime


_LEGACY_ID = re.compile(r"[0-9]{1,18}")
"""ASCII digits that fit a 64-bit integer: `str.isdigit` also accepts `¹`, which `int` rejects."""


def parse_evse_ref(evse_id: str) -> str | int:
    """`/evses/{evse_id}` takes the uid or the legacy integer id."""
    return int(evse_id) if _LEGACY_ID.fullmatch(evse_id) else evse_id


EvseState = Literal["active", "decommissioned"]


class EvseModelSummary(Contract):
    uid: str
    name: str


class EvseVendorLink(Contract):
    """How the platform reaches a cloud vendor's charger: the user's account link's health."""

    state: Literal["linked", "broken"]
    reason: LinkBrokenReason | None = Field(
        None,
        description="Why `broken`: credentials_rejected (password changed or access revoked) or "
        "charger_not_in_account or account_unlinked. Relink on the page of "
        "`POST /v2/evses/{evse_id}/reconnect`.",
    )


class Evse(Contract):
    """A charger linked to the platform, as `GET /v2/evses/{evse_id}` returns it."""

    uid: str
    id: int = Field(description="Legacy integer id; prefer `uid`.")
    application_uid: str
    user_uid: str | None
    evse_make: EvseMakeSummary
    evse_model: EvseModelSummary
    onboarding_method: OnboardingMethod
    provider: str | None
    serial_number: str
    state: EvseState
    onboarded_at: UtcDateTime
    vendor_link: EvseVendorLink | None = Field(
        None, description="Cloud vendors' chargers only: null for OCPP chargers."
    )


class ListEvses(PageQuery):
    user_id: str | None = None
    state: EvseState | None = None
    evse_make_id: str | None = None
    evse_model_id: str | None = None


class EvseRef(Contract):
    """An EVSE named by its uid or its legacy integer id, as in `/v2/evses/{evse_id}`."""

    evse_id: str = Field(min_length=1, max_length=64)


class ReconnectionUrl(Contract):
    url: str
    expires_at: UtcDateTime


class EvseVppModes(Contract):
    evse_uid: str
    vpp_modes: tuple[VppModeCapability, ...]


EVSES_LIST = Route("evses.list", ListEvses, Page[Evse])
EVSES_GET = Route("evses.get", EvseRef, Evse)
EVSES_DECOMMISSION = Route("evses.decommission", EvseRef, Empty)
EVSES_RECONNECT = Route("evses.reconnect", EvseRef, ReconnectionUrl)
EVSES_VPP_MODES = Route("evses.vpp_modes.get", EvseRef, EvseVppModes)


class SendEvseCommand(Contract):
    evse_id: str = Field(min_length=1, max_length=64)
    command: EvseCommand


EVSES_COMMAND = Route("evses.commands.send", SendEvseCommand, CommandAccepted)
