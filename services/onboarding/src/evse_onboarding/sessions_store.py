"""Every MongoDB call about hosted onboarding sessions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument

from evse_runtime.mongo import Database

from .sessions import OnboardingSession

__all__ = ["MongoSessionStore", "SessionStore"]


class SessionStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def insert(self, session: OnboardingSession) -> None: ...
    async def find(self, uid: str) -> OnboardingSession | None: ...
    async def update_open(self, uid: str, changes: dict[str, Any]) -> OnboardingSession | None: ...
    async def bind_browser(self, uid: str, key_hash: str) -> OnboardingSession | None: ...


class MongoSessionStore:
    def __init__(self, db: Database) -> None:
        self._sessions = db["onboarding_sessions"]

    async def ensure_indexes(self) -> None:
        """Expired sessions are removed by MongoDB a day after they expire."""
        await self._sessions.create_index([("expires_at", ASCENDING)], expireAfterSeconds=86_400)

    async def insert(self, session: OnboardingSession) -> None:
        doc = asdict(session)
        doc["_id"] = doc.pop("uid")
        await self._sessions.insert_one(doc)

    async def find(self, uid: str) -> OnboardingSession | None:
        doc = await self._sessions.find_one({"_id": uid})
        return None if doc is None else _session(doc)

    async def update_open(self, uid: str, changes: dict[str, Any]) -> OnboardingSession | None:
        """Apply `changes` unless the session was completed meanwhile (then None)."""
        doc = await self._sessions.find_one_and_update(
            {"_id": uid, "completed_at": None},
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _session(doc)

    async def bind_browser(self, uid: str, key_hash: str) -> OnboardingSession | None:
        """Bind an unbound session to `key_hash`; None if another browser was first."""
        doc = await self._sessions.find_one_and_update(
            {"_id": uid, "browser_key_hash": None},
            {"$set": {"browser_key_hash": key_hash}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            doc = await self._sessions.find_one({"_id": uid, "browser_key_hash": key_hash})
        return None if doc is None else _session(doc)


def _session(doc: dict[str, Any]) -> OnboardingSession:
    fields = {k: v for k, v in doc.items() if k != "_id"}
    return OnboardingSession(uid=doc["_id"], **fields)
