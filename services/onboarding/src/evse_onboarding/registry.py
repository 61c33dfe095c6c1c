"""Registry operations: list, read, decommission and reconnect EVSEs, tenant by tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evse_contracts.auth import Principal
from evse_contracts.evses import (
    EVSE_DECOMMISSIONED,
    EVSE_RECONNECTED,
    Evse,
    EvseDecommissioned,
    EvseReconnected,
    ListEvses,
    ReconnectionUrl,
    parse_evse_ref,
)
from evse_contracts.pagination import Page, decode_cursor, encode_cursor

from .errors import EvseHasNoUser, EvseNotFound
from .evse_record import EvseRecord, require_visible
from .identity_store import IdentityStore
from .outbox import EventOutbox, outbox_entry
from .registry_store import EvseFilter, RegistryStore
from .sessions import new_session
from .sessions_store import SessionStore

__all__ = ["Registry"]

_CURSOR_KEYS = frozenset({"after"})


@dataclass(frozen=True)
class Registry:
    evses: RegistryStore
    users: IdentityStore
    sessions: SessionStore
    outbox: EventOutbox
    public_base_url: str
    session_ttl_s: int

    async def list(self, principal: Principal, query: ListEvses) -> Page[Evse]:
        filters: EvseFilter = {"state": query.state or "active"}
        if principal.kind == "user":
            assert principal.user_uid is not None
            filters["user_uid"] = principal.user_uid
        if query.user_id is not None:
            if filters.get("user_uid", query.user_id) != query.user_id:
                return Page(results=())
            filters["user_uid"] = query.user_id
        if query.evse_make_id is not None:
            filters["evse_make.uid"] = query.evse_make_id
        if query.evse_model_id is not None:
            filters["evse_model.uid"] = query.evse_model_id
        after = None if query.cursor is None else decode_cursor(query.cursor, keys=_CURSOR_KEYS)
        records = await self.evses.page(
            application_uid=principal.application_uid,
            filters=filters,
            after=None if after is None else after["after"],
            limit=query.limit + 1,
        )
        page = tuple(r.to_resource() for r in records[: query.limit])
        more = len(records) > query.limit
        return Page(
            results=page, next_cursor=encode_cursor({"after": page[-1].uid}) if more else None
        )

    async def get(self, principal: Principal, evse_id: str) -> Evse:
        record = await self.evses.find(parse_evse_ref(evse_id))
        return require_visible(record, principal, evse_id).to_resource()

    async def decommission(self, principal: Principal, evse_id: str, *, now: datetime) -> None:
        """Disconnect the EVSE: later reads are 404, its logs are kept, the bridge lets go."""
        record = require_visible(await self.evses.find(parse_evse_ref(evse_id)), principal, evse_id)
        event = EvseDecommissioned(
            evse_uid=record.uid,
            evse_id=record.evse_id,
            application_uid=record.application_uid,
            occurred_at=now,
        )
        entry = outbox_entry(f"decommissioned:{record.uid}", EVSE_DECOMMISSIONED, event)
        updated = await self.evses.decommission(record.uid, now=now, event=entry)
        if updated is None:
            raise EvseNotFound(evse_id)
        await self.outbox.flush_soon(updated)

    async def reconnect(
        self, principal: Principal, evse_id: str, *, now: datetime
    ) -> ReconnectionUrl:
        """A short-lived hosted-onboarding session bound to this EVSE and its user; it starts
        at the connect page (an onboarded charger needs no compatibility check): re-linking
        the vendor account, or the OCPP settings."""
        record = require_visible(await self.evses.find(parse_evse_ref(evse_id)), principal, evse_id)
        if record.user_uid is None:
            raise EvseHasNoUser(record.uid)
        user = await self.users.user(record.user_uid)
        application = await self.users.application(record.application_uid)
        if user is None or application is None:
            raise EvseHasNoUser(record.uid)
        session = new_session(
            application=application,
            user=user,
            now=now,
            ttl_s=self.session_ttl_s,
            evse_uid=record.uid,
            evse_make_uid=record.evse_make.uid,
            evse_model_uid=record.evse_model.uid,
            support="onboarded",
        )
        await self.sessions.insert(session)
        return ReconnectionUrl(url=session.url(self.public_base_url), expires_at=session.expires_at)

    async def announce_reconnected(
        self, record: EvseRecord, session_uid: str, *, now: datetime
    ) -> None:
        """The reconnect session `session_uid` reached its EVSE again: `evses.events.reconnected`
        (once per session; a decommissioned EVSE announces nothing)."""
        event = EvseReconnected(
            evse_uid=record.uid,
            evse_id=record.evse_id,
            application_uid=record.application_uid,
            user_uid=record.user_uid,
            occurred_at=now,
        )
        entry = outbox_entry(f"reconnected:{session_uid}", EVSE_RECONNECTED, event)
        if (updated := await self.evses.add_event(record.uid, entry)) is not None:
            await self.outbox.flush(updated)
