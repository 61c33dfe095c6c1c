"""EVSE lifecycle events published by onboarding on the `EVSE_EVENTS` stream.

Other services keep what they need of the registry from these events (the bridge its
polling schedule, telemetry who may read an EVSE's logs) instead of reading onboarding's
collections.
"""

from __future__ import annotations

from pydantic import Field

from .base import Contract, UtcDateTime

__all__ = [
    "EVSE_DECOMMISSIONED",
    "EVSE_EVENTS_STREAM",
    "EVSE_ONBOARDED",
    "EVSE_RECONNECTED",
    "EvseDecommissioned",
    "EvseOnboarded",
    "EvseReconnected",
]

EVSE_EVENTS_STREAM = "EVSE_EVENTS"
EVSE_ONBOARDED = "evses.events.onboarded"
EVSE_DECOMMISSIONED = "evses.events.decommissioned"
EVSE_RECONNECTED = "evses.events.reconnected"


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
