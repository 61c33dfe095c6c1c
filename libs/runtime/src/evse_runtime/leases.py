"""Due work shared by replicas through MongoDB leases, and the loop that works it off.

A document is due when its `due_field` is at or before now. Claiming it is one
`find_one_and_update` that moves `due_field` to the lease's end (also kept as `lease_until`,
owned by `lease_owner`), so exactly one replica wins each due document, the claim filters on
one indexed field, and work whose replica died falls due again when its lease ends. The holder
releases it with the next due time, only while it still holds the lease.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import structlog
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from .pauses import pause

__all__ = ["EPOCH", "claim_due", "release", "renew", "work_off"]

log = structlog.get_logger("evse.leases")
T = TypeVar("T")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""`lease_until` of a document nobody holds."""


async def claim_due(
    collection: AsyncCollection[dict[str, Any]],
    *,
    due_field: str,
    now: datetime,
    owner: str,
    lease_s: float,
) -> dict[str, Any] | None:
    """Lease the most overdue document, or None when nothing is due."""
    lease_end = now + timedelta(seconds=lease_s)
    return await collection.find_one_and_update(
        {due_field: {"$lte": now}},
        {"$set": {due_field: lease_end, "lease_until": lease_end, "lease_owner": owner}},
        sort=[(due_field, ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )


async def release(
    collection: AsyncCollection[dict[str, Any]],
    key: str,
    *,
    due_field: str,
    owner: str,
    next_due: datetime,
    changes: Mapping[str, Any] | None = None,
) -> bool:
    """Write `changes`, schedule the next time it is due and give the lease up, if `owner`
    still holds it; False when the lease had passed to another replica."""
    result = await collection.update_one(
        {"_id": key, "lease_owner": owner},
        {
            "$set": {
                **(changes or {}),
                due_field: next_due,
                "lease_until": EPOCH,
                "lease_owner": None,
            }
        },
    )
    return result.matched_count == 1


async def renew(
    collection: AsyncCollection[dict[str, Any]],
    key: str,
    *,
    due_field: str,
    owner: str,
    now: datetime,
    lease_s: float,
    still: Mapping[str, Any] | None = None,
) -> bool:
    """Extend a lease held for long-running work (a vendor stream) to `lease_s` from now, if
    `owner` still holds it and the document still matches `still`; False otherwise, and the
    holder must stop."""
    lease_end = now + timedelta(seconds=lease_s)
    result = await collection.update_one(
        {**(still or {}), "_id": key, "lease_owner": owner},
        {"$set": {due_field: lease_end, "lease_until": lease_end}},
    )
    return result.matched_count == 1


async def work_off(
    claim: Callable[[], Awaitable[T | None]],
    work: Callable[[T], Awaitable[None]],
    *,
    stopping: asyncio.Event,
    concurrency: int,
    idle_wait_s: float,
) -> None:
    """Claim and work due documents (or what `claim` makes of them), `concurrency` at a time,
    until `stopping`; wait `idle_wait_s` when nothing is due. Work in flight finishes before
    this returns."""
    slots = asyncio.Semaphore(concurrency)
    in_flight: set[asyncio.Task[None]] = set()
    while not stopping.is_set():
        await slots.acquire()
        try:
            item = await claim()
        except Exception:
            log.exception("claim failed")
            item = None
        if item is None:
            slots.release()
            await pause(stopping, idle_wait_s)
            continue
        task = asyncio.create_task(_guarded(work, item))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        task.add_done_callback(lambda _: slots.release())
    if in_flight:
        await asyncio.wait(in_flight)


async def _guarded(work: Callable[[T], Awaitable[None]], item: T) -> None:
    try:
        await work(item)
    except Exception:
        # Left leased: claimed again when the lease ends.
        key = item.get("_id") if isinstance(item, Mapping) else getattr(item, "uid", None)
        log.exception("leased work failed", key=key)
