"""Who may read an EVSE's telemetry, from the registry's lifecycle events.

Telemetry keeps its own projection of the registry (`EvseAccess`), fed by `EVSE_EVENTS`, so
answering a log query needs no call to onboarding, unless the projection has not caught up yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from evse_contracts.auth import Principal
from evse_contracts.evses import Evse, EvseRef
from evse_contracts.problems import DomainError
from evse_runtime.registry import EvseLookup

from .errors import EvseNotFound

__all__ = ["EvseAccess", "check_access", "visible"]


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


async def visible(
    access: EvseAccess | None, caller: Principal, evse_id: str, registry: EvseLookup
) -> EvseAccess:
    """The projection's `access` if it lets the caller in; where it says no, the registry's.

    The projection follows `EVSE_EVENTS` a moment behind the registry: an EVSE imported (or
    handed to another user) just now is not in it yet, and its owner must not be told it does
    not exist. A decommissioned EVSE stays gone, so that no is final without asking.
    """
    try:
        return check_access(access, caller, evse_id)
    except EvseNotFound:
        if access is not None and access.decommissioned_at is not None:
            raise
        try:
            evse = await registry(EvseRef(evse_id=evse_id), caller)
        except (DomainError, ValidationError):  # absent, another tenant's, or no answer
            raise EvseNotFound(evse_id) from None
        return check_access(_from_registry(evse), caller, evse_id)


def _from_registry(evse: Evse) -> EvseAccess:
    """The access the registry's own record of the EVSE grants."""
    return EvseAccess(
        evse_uid=evse.uid,
        evse_id=evse.id,
        application_uid=evse.application_uid,
        user_uid=evse.user_uid,
        evse_model_uid=evse.evse_model.uid,
        decommissioned_at=None,
    )
