"""Every MongoDB call about applications and their users (the identities tokens speak for)."""

from __future__ import annotations

from typing import Any, Protocol

from pymongo import ASCENDING

from evse_runtime.mongo import Database, upsert_and_fetch

from .identity import Application, User

__all__ = ["IdentityStore", "MongoIdentityStore"]


class IdentityStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def application_by_client_id(self, client_id: str) -> Application | None: ...
    async def save_application(self, application: Application) -> Application: ...
    async def application(self, uid: str) -> Application | None: ...
    async def user(self, uid: str) -> User | None: ...
    async def save_user(self, user: User) -> User: ...


class MongoIdentityStore:
    def __init__(self, db: Database) -> None:
        self._applications = db["applications"]
        self._users = db["users"]

    async def ensure_indexes(self) -> None:
        await self._applications.create_index([("client_id", ASCENDING)], unique=True)
        await self._users.create_index(
            [("application_uid", ASCENDING), ("email", ASCENDING)], unique=True
        )

    async def application_by_client_id(self, client_id: str) -> Application | None:
        doc = await self._applications.find_one({"client_id": client_id})
        return None if doc is None else _application(doc)

    async def save_application(self, application: Application) -> Application:
        """Insert, or update the one with the same client id (keeping its uid)."""
        fields = {k: v for k, v in application.__dict__.items() if k not in ("uid", "created_at")}
        doc = await upsert_and_fetch(
            self._applications,
            {"client_id": application.client_id},
            {
                "$set": fields,
                "$setOnInsert": {"_id": application.uid, "created_at": application.created_at},
            },
        )
        return _application(doc)

    async def application(self, uid: str) -> Application | None:
        doc = await self._applications.find_one({"_id": uid})
        return None if doc is None else _application(doc)

    async def user(self, uid: str) -> User | None:
        doc = await self._users.find_one({"_id": uid})
        return None if doc is None else _user(doc)

    async def save_user(self, user: User) -> User:
        """Insert, or return the application's existing user with that email."""
        doc = await upsert_and_fetch(
            self._users,
            {"application_uid": user.application_uid, "email": user.email},
            {"$setOnInsert": {"_id": user.uid, "created_at": user.created_at}},
        )
        return _user(doc)


def _application(doc: dict[str, Any]) -> Application:
    return Application(
        uid=doc["_id"],
        name=doc["name"],
        client_id=doc["client_id"],
        client_secret_hash=doc["client_secret_hash"],
        onboarding_redirect_url=doc["onboarding_redirect_url"],
        program_id=doc.get("program_id"),
        created_at=doc["created_at"],
        tokens_valid_after=doc.get("tokens_valid_after"),
    )


def _user(doc: dict[str, Any]) -> User:
    return User(
        uid=doc["_id"],
        application_uid=doc["application_uid"],
        email=doc["email"],
        created_at=doc["created_at"],
    )
