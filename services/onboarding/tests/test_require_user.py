"""`require_user`: the one guard for subjects that act for one of the application's users."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evse_contracts.auth import Principal
from evse_onboarding.errors import UserTokenRequired
from evse_onboarding.identity import Application, User, require_user

NOW = datetime(2026, 1, 1, tzinfo=UTC)
USERS = {
    "user1": User(uid="user1", application_uid="app1", email="a@app.example", created_at=NOW),
    "user2": User(uid="user2", application_uid="app2", email="b@app.example", created_at=NOW),
}


class Users:
    """The users lookup of an identity store; nothing else is asked."""

    async def user(self, uid: str) -> User | None:
        return USERS.get(uid)

    async def ensure_indexes(self) -> None:
        raise AssertionError("not asked")

    async def application_by_client_id(self, client_id: str) -> Application | None:
        raise AssertionError("not asked")

    async def save_application(self, application: Application) -> Application:
        raise AssertionError("not asked")

    async def application(self, uid: str) -> Application | None:
        raise AssertionError("not asked")

    async def save_user(self, user: User) -> User:
        raise AssertionError("not asked")


async def test_a_user_token_gets_its_user() -> None:
    principal = Principal(kind="user", application_uid="app1", user_uid="user1")
    assert await require_user(principal, Users()) == USERS["user1"]


@pytest.mark.parametrize(
    "principal",
    [
        Principal(kind="application", application_uid="app1"),
        Principal(kind="application", application_uid="app1", user_uid="user1"),
        Principal(kind="user", application_uid="app1", user_uid="gone"),
        Principal(kind="user", application_uid="app1", user_uid="user2"),
    ],
    ids=["application", "application-naming-a-user", "unknown-user", "other-applications-user"],
)
async def test_anything_else_is_refused(principal: Principal) -> None:
    with pytest.raises(UserTokenRequired):
        await require_user(principal, Users())
