from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evse_contracts.auth import Principal
from evse_contracts.evses import Evse, EvseRef
from evse_contracts.problems import Problem, ServiceUnavailable
from evse_runtime.bus_client import RemoteProblem
from evse_telemetry.access import EvseAccess, check_access, visible
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


APP = principal(kind="application", application_uid="app01")


def registered(application_uid: str = "app01") -> Evse:
    return Evse.model_validate(
        {
            "uid": "evse01",
            "id": 7,
            "application_uid": application_uid,
            "user_uid": "user01",
            "evse_make": {"uid": "evsemake01", "name": "Zaptec"},
            "evse_model": {"uid": "evsemodel01", "name": "Zaptec Go"},
            "onboarding_method": "serial",
            "provider": "zaptec",
            "serial_number": "ZAP1",
            "state": "active",
            "onboarded_at": "2026-11-29T12:00:00Z",
        }
    )


class Registry:
    """The registry's answer to `evses.get`, and the refs it was asked for."""

    def __init__(self, answer: Evse | Exception) -> None:
        self.answer = answer
        self.asked: list[str] = []

    async def __call__(self, ref: EvseRef, caller: Principal) -> Evse:
        self.asked.append(ref.evse_id)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


async def test_the_projections_yes_needs_no_registry() -> None:
    registry = Registry(ServiceUnavailable("no onboarding service is running"))

    assert await visible(ACCESS, APP, "evse01", registry) is ACCESS
    assert registry.asked == []


@pytest.mark.parametrize(
    "projection",
    [None, EvseAccess(**{**ACCESS.__dict__, "application_uid": "app02"})],
    ids=["not-seen-yet", "still-the-previous-owner"],
)
async def test_where_the_projection_lags_the_registry_answers(
    projection: EvseAccess | None,
) -> None:
    registry = Registry(registered())

    access = await visible(projection, APP, "7", registry)

    assert (access.evse_uid, access.evse_id, access.evse_model_uid) == ("evse01", 7, "evsemodel01")
    assert registry.asked == ["7"]


async def test_a_decommissioned_evse_is_not_found_without_asking() -> None:
    gone = EvseAccess(**{**ACCESS.__dict__, "decommissioned_at": datetime.now(UTC)})
    registry = Registry(registered())

    with pytest.raises(EvseNotFound):
        await visible(gone, APP, "evse01", registry)
    assert registry.asked == []


@pytest.mark.parametrize(
    "answer",
    [
        RemoteProblem(
            Problem(slug="evse-not-found", title="EVSE not found", status=404, detail="no EVSE")
        ),
        ServiceUnavailable("no onboarding service is running"),
        registered(application_uid="app02"),
    ],
    ids=["absent", "unavailable", "another-tenants"],
)
async def test_where_the_registry_says_no_or_cannot_answer_it_is_not_found(
    answer: Evse | Exception,
) -> None:
    with pytest.raises(EvseNotFound):
        await visible(None, APP, "evse01", Registry(answer))


async def test_an_id_the_registry_could_not_be_asked_for_is_not_found() -> None:
    registry = Registry(registered())

    with pytest.raises(EvseNotFound):
        await visible(None, APP, "9" * 80, registry)
    assert registry.asked == []
