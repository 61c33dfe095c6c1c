"""The EVSE registry's rules: naming an EVSE, who may see it, and its public shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from evse_contracts.auth import Principal
from evse_contracts.catalogue import EvseMakeSummary, OnboardingMethod
from evse_contracts.evses import Evse, EvseModelSummary, EvseState, EvseVendorLink
from evse_contracts.vendor_accounts import LinkBrokenReason

from .errors import EvseNotFound

__all__ = ["EvseRecord", "require_visible", "visible_to"]


@dataclass(frozen=True)
class EvseRecord:
    uid: str
    evse_id: int
    application_uid: str
    user_uid: str | None
    evse_make: EvseMakeSummary
    evse_model: EvseModelSummary
    onboarding_method: OnboardingMethod
    provider: str | None
    serial_number: str
    vendor_device_id: str | None
    state: EvseState
    onboarded_at: datetime
    decommissioned_at: datetime | None = None
    vendor_link_state: Literal["linked", "broken"] | None = None
    vendor_link_reason: LinkBrokenReason | None = None
    outbox: tuple[dict[str, Any], ...] = field(default=())

    def to_resource(self) -> Evse:
        return Evse(
            uid=self.uid,
            id=self.evse_id,
            application_uid=self.application_uid,
            user_uid=self.user_uid,
            evse_make=self.evse_make,
            evse_model=self.evse_model,
            onboarding_method=self.onboarding_method,
            provider=self.provider,
            serial_number=self.serial_number,
            state=self.state,
            onboarded_at=self.onboarded_at,
            vendor_link=None
            if self.vendor_link_state is None
            else EvseVendorLink(state=self.vendor_link_state, reason=self.vendor_link_reason),
        )


def visible_to(record: EvseRecord, principal: Principal) -> bool:
    """An application sees its users' EVSEs; a user only their own; nobody a decommissioned one."""
    if record.state != "active" or record.application_uid != principal.application_uid:
        return False
    return principal.kind == "application" or record.user_uid == principal.user_uid


def require_visible(record: EvseRecord | None, principal: Principal, evse_id: str) -> EvseRecord:
    """The record, or `EvseNotFound` — the same answer whether it is absent or another tenant's."""
    if record is None or not visible_to(record, principal):
        raise EvseNotFound(evse_id)
    return record
