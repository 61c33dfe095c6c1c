"""Sites: EVSEs sharing one supply, held within its current per phase at all times.

A site is set whole (`PUT`): each member is looked up as the caller (so tenancy holds), its
capabilities fixed, and the limit checked against what its members would need (the library's
`check_site_limit`). From then on the control loop runs `cycle` on it every control interval,
and at once when a member plugs in or out: the balancer's limits are sent through the bridge,
lowerings first and raisings only once the chargers report the lowered limits, so the sum of
the limits the chargers hold never exceeds the site's between two steps either.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from evse_contracts.auth import Principal
from evse_contracts.pagination import Page, decode_cursor, encode_cursor
from evse_contracts.smart_charging import (
    Capabilities,
    ListSites,
    PutSite,
    SetSite,
    Site,
    SiteAllocation,
    SiteMember,
    SiteMemberState,
    SiteRef,
)
from evse_runtime.leases import EPOCH
from evse_smart_charging.balancer import balance_site, check_site_limit, next_limits

from .capabilities import CapabilityReader, rated_current_a
from .errors import ApplicationTokenRequired, EvseInAnotherSite, SiteNotFound
from .store import Observation, SmartChargingStore, site_key

__all__ = ["SendAction", "SiteDesk"]

SendAction = Callable[[str, str, float | None], Awaitable[bool]]
"""(evse_uid, command, current_limit_a) → whether the bridge took it."""
SAME_LIMIT_A = 0.05


class SiteDesk:
    def __init__(
        self,
        store: SmartChargingStore,
        capabilities: CapabilityReader,
        send: SendAction,
        *,
        interval_s: float,
        resend_after_s: float,
    ) -> None:
        self._store = store
        self._capabilities = capabilities
        self._send = send
        self._interval = timedelta(seconds=interval_s)
        self._resend_after = timedelta(seconds=resend_after_s)

    async def put(self, request: PutSite, principal: Principal, now: datetime) -> Site:
        app = _application_of(principal)
        members: list[dict[str, Any]] = []
        for ref in request.members:
            evse = await self._capabilities.visible(ref.evse_id, principal)
            caps = await self._capabilities.of(evse)
            members.append(
                {
                    "evse_uid": evse.uid,
                    "priority": ref.priority,
                    "rated_current_a": rated_current_a(caps),
                    "capabilities": caps.model_dump(mode="json"),
                }
            )
        key = site_key(app, request.site_id)
        uids = [member["evse_uid"] for member in members]
        holder = await self._store.site_holding(uids, other_than=key)
        if holder is not None:
            raise EvseInAnotherSite(holder)
        observed = await self._store.observations(uids)
        allocation = check_site_limit(
            _balancer_input(request.site_id, request.max_current_a, members, observed)
        )
        existing = await self._store.find_site(app, request.site_id)
        doc: dict[str, Any] = {
            "_id": key,
            "application_uid": app,
            "site_id": request.site_id,
            "max_current_a": request.max_current_a,
            "members": members,
            "limits_a": allocation.limits_a,
            "paused": list(allocation.paused),
            "fixed": list(allocation.fixed),
            "sent": {},
            "created_at": now if existing is None else existing["created_at"],
            "updated_at": now,
            "balanced_at": None,
            "next_cycle_at": now,
            "lease_until": EPOCH,
            "lease_owner": None,
        }
        await self._store.watch(uids)
        await self._store.save_site(doc)
        return _view(doc, observed)

    async def get(self, request: SiteRef, principal: Principal) -> Site:
        doc = await self._store.find_site(_application_of(principal), request.site_id)
        if doc is None:
            raise SiteNotFound(request.site_id)
        return _view(doc, await self._store.observations(_uids(doc)))

    async def list(self, request: ListSites, principal: Principal) -> Page[Site]:
        after = None
        if request.cursor is not None:
            after = decode_cursor(request.cursor, keys=frozenset({"site_id"}))["site_id"]
        docs = await self._store.sites_of(
            _application_of(principal), after=after, limit=request.limit + 1
        )
        page = docs[: request.limit]
        observed = await self._store.observations([uid for doc in page for uid in _uids(doc)])
        more = len(docs) > request.limit
        return Page[Site](
            results=tuple(_view(doc, observed) for doc in page),
            next_cursor=encode_cursor({"site_id": page[-1]["site_id"]}) if more else None,
        )

    async def delete(self, request: SiteRef, principal: Principal) -> None:
        """Forget the site; its chargers keep the limits they hold until changed otherwise."""
        if not await self._store.delete_site(_application_of(principal), request.site_id):
            raise SiteNotFound(request.site_id)

    async def cycle(self, doc: dict[str, Any], *, owner: str, now: datetime) -> None:
        """One control cycle of a leased site: balance, send what must change, release."""
        observed = await self._store.observations(_uids(doc))
        allocation = balance_site(
            _balancer_input(doc["site_id"], doc["max_current_a"], doc["members"], observed)
        )
        sent = _unconfirmed(doc.get("sent", {}), observed)
        for uid, command, limit in _commands(doc, allocation, observed, _held(observed, sent)):
            prior = sent.get(uid)
            if (
                prior is not None
                and prior["command"] == command
                and prior["limit"] == limit
                and now - prior["at"] < self._resend_after
            ):
                continue
            if await self._send(uid, command, limit):
                sent[uid] = {"command": command, "limit": limit, "at": now}
        await self._store.finish_site(
            doc["_id"],
            owner=owner,
            now=now,
            next_cycle_at=now + self._interval,
            changes={
                "limits_a": allocation.limits_a,
                "paused": list(allocation.paused),
                "fixed": list(allocation.fixed),
                "sent": sent,
                "balanced_at": now,
            },
        )


def _unconfirmed(
    sent: Mapping[str, dict[str, Any]], observed: Mapping[str, Observation]
) -> dict[str, dict[str, Any]]:
    """The commands sent whose effect the chargers do not report yet."""
    return {
        uid: command
        for uid, command in sent.items()
        if not (
            command["command"] == "set_current_limit"
            and (limit := observed.get(uid, Observation(uid)).current_limit_a) is not None
            and abs(limit - command["limit"]) < SAME_LIMIT_A
        )
    }


def _held(
    observed: Mapping[str, Observation], sent: Mapping[str, dict[str, Any]]
) -> dict[str, float]:
    """The limit each charger may be holding: the higher of what it last reported and what
    was sent to it since. A report can predate a raise still in flight, and trusting it would
    let another charger be raised into current this one already draws."""
    held = {
        uid: obs.current_limit_a for uid, obs in observed.items() if obs.current_limit_a is not None
    }
    for uid, command in sent.items():
        if command["command"] == "set_current_limit":
            held[uid] = max(held.get(uid, math.inf), command["limit"])
    return held


def _commands(
    doc: Mapping[str, Any],
    allocation: SiteAllocation,
    observed: Mapping[str, Observation],
    held: Mapping[str, float],
) -> list[tuple[str, str, float | None]]:
    """What to send this cycle: the limits (lowerings first, raisings once none is left),
    a stop for a paused member still charging, a start for one no longer paused."""
    limitable = {
        uid: limit
        for uid, limit in allocation.limits_a.items()
        if uid not in allocation.fixed and uid not in allocation.paused
    }
    commands: list[tuple[str, str, float | None]] = [
        (uid, "set_current_limit", limit)
        for uid, limit in next_limits(held, limitable).items()
        if abs(held.get(uid, math.inf) - limit) >= SAME_LIMIT_A
    ]
    was_paused = set(doc.get("paused", ()))
    for uid in allocation.paused:
        if observed.get(uid, Observation(uid)).charging:
            commands.append((uid, "stop_charging", None))
    for uid in was_paused - set(allocation.paused):
        obs = observed.get(uid, Observation(uid))
        if obs.plugged_in and not obs.charging:
            commands.append((uid, "start_charging", None))
    return commands


def _balancer_input(
    site_id: str,
    max_current_a: float,
    members: list[dict[str, Any]],
    observed: Mapping[str, Observation],
) -> SetSite:
    return SetSite(
        site_id=site_id,
        max_current_a=max_current_a,
        members=tuple(
            SiteMember(
                evse_uid=member["evse_uid"],
                priority=member["priority"],
                active=observed.get(member["evse_uid"], Observation("")).plugged_in,
                rated_current_a=member["rated_current_a"],
                capabilities=Capabilities.model_validate(member["capabilities"]),
            )
            for member in members
        ),
    )


def _view(doc: Mapping[str, Any], observed: Mapping[str, Observation]) -> Site:
    limits: dict[str, float] = doc.get("limits_a", {})
    paused, fixed = set(doc.get("paused", ())), set(doc.get("fixed", ()))
    members = []
    for member in doc["members"]:
        uid = member["evse_uid"]
        obs = observed.get(uid, Observation(uid))
        members.append(
            SiteMemberState(
                evse_id=uid,
                priority=member["priority"],
                active=obs.plugged_in,
                current_limit_a=limits.get(uid, 0.0),
                paused=uid in paused,
                limitable=uid not in fixed,
                observed_current_limit_a=obs.current_limit_a,
            )
        )
    return Site(
        site_id=doc["site_id"],
        max_current_a=doc["max_current_a"],
        members=tuple(members),
        allocated_current_a=round(sum(limits.values()), 1),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        balanced_at=doc.get("balanced_at"),
    )


def _uids(doc: Mapping[str, Any]) -> list[str]:
    return [member["evse_uid"] for member in doc["members"]]


def _application_of(principal: Principal) -> str:
    if principal.kind != "application":
        raise ApplicationTokenRequired(
            "sites are managed with an application token, not a user token"
        )
    return principal.application_uid
