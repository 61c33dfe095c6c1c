"""Who may read an EVSE's telemetry, from the registry's lifecycle events.

Telemetry keeps its own projection of the registry (`EvseAccess`), fed by `EVSE_EVENTS`, so
answering a log query never needs a call to onboarding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evse_contracts.auth import Principal

from .errors import EvseNotFound

__all__ = ["EvseAccess", "check_access"]


@dataclass(frozen=True)
class EvseAccess:
    evse_uid: str
    evse_id: int | None
    application_uid: str | None
    user_uid: str | None
    evse_model_uid: str | None
    decommissioned_at: datetime | None


def check_access(access: EvseAccess | None, caller: Principal, evse_id: str) -> EvseAccess:
    """Return `access` if the caller may read this EVSE, else raise `EvseNotFound`.

    An application reads its EVSEs, a user only their own; anything else looks absent.
    Decommissioned EVSEs keep their logs but are no longer readable.
    """
    if access is None or access.decommissioned_at is not None or access.application_uid is None:
        raise EvseNotFound(evse_id)
    if caller.application_uid != access.application_uid:
        raise EvseNotFound(evse_id)
    if caller.kind == "user" and (caller.user_uid is None or caller.user_uid != access.user_uid):
        raise EvseNotFound(evse_id)
    return access
