from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evse_contracts.auth import Principal
from evse_telemetry.access import EvseAccess, check_access
from evse_telemetry.errors import EvseNotFound

ACCESS = EvseAccess(
    evse_uid="evse01",
    evse_id=7,
    application_uid="app01",
    user_uid="user01",
    evse_model_uid="evsemodel01",
    decommissioned_at=None,
)


def principal(**claims: str) -> Principal:
    return Principal.model_validate(claims)


@pytest.mark.parametrize(
    "caller",
    [
        principal(kind="application", application_uid="app01"),
        principal(kind="user", application_uid="app01", user_uid="user01"),
    ],
)
def test_the_owner_application_and_user_may_read(caller: Principal) -> None:
    assert check_access(ACCESS, caller, "evse01") is ACCESS


@pytest.mark.parametrize(
    "caller",
    [
        principal(kind="application", application_uid="app02"),
        principal(kind="user", application_uid="app01", user_uid="user02"),
        principal(kind="user", application_uid="app01"),
    ],
)
def test_anyone_else_gets_the_same_not_found(caller: Principal) -> None:
    with pytest.raises(EvseNotFound):
        check_access(ACCESS, caller, "evse01")


def test_a_decommissioned_or_unknown_evse_is_not_found() -> None:
    gone = EvseAccess(**{**ACCESS.__dict__, "decommissioned_at": datetime.now(UTC)})
    for access in (gone, None):
        with pytest.raises(EvseNotFound):
            check_access(access, principal(kind="application", application_uid="app01"), "evse01")
