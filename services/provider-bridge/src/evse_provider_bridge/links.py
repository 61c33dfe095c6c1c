"""An EVSE linked to its charger in a user's vendor account, as the poller and commands see it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["PARKED", "ProviderLink"]

PARKED = datetime(9999, 1, 1, tzinfo=UTC)
"""`next_poll_at` of an EVSE whose account link is broken or unlinked: never due."""


@dataclass(frozen=True)
class ProviderLink:
    evse_uid: str
    provider: str
    vendor_device_id: str
    serial_number: str
    vendor_account_uid: str
    application_uid: str
    user_uid: str | None
    context: Mapping[str, str] = field(default_factory=dict)
    failures: int = 0
