"""One subscription's share of its application's events: a bounded queue, batches, a sender.

The application's delivery (`delivery.py`) offers every event of its consumer to each of
its subscriptions. A subscription that keeps up ("live") queues the events it wants and
POSTs them in signed batches, when `batch_max` are queued or `linger_s` after the first.
An event stays unacked on the consumer until every live subscription it was queued for has
had it taken (`Held.remaining`).

A subscription that cannot keep up falls behind rather than holding the others up: when its
queue is full, when its application holds too many unacked events and its queue is the
longest, or when its receiver fails (it then waits out its back-off). It first stores
`replaying` (so a replica taking over knows), then lets go of the events it holds, and reads
the events after its stored `delivered_seq` straight from the `NOTIFICATIONS` stream (kept
7 days, beyond the 25 h retry window), batch by batch, until it has caught up with the
consumer and is live again. Its order holds: it reads the stream in order, and the batch
that failed is the first it sends again.

One module past 300 lines on purpose: being live, falling behind and replaying share one
queue, one position and the events held for acking, and the rules that keep the order and ack
only after delivery hold across all three; split, each part would see half of that state.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from evse_contracts.notifications import (
    EVENT_TYPE_HEADER,
    NOTIFICATIONS_STREAM,
    application_filter,
    parse_event,
)
from evse_contracts.telemetry import MSG_ID_HEADER
from evse_runtime.backoff import Backoff

from .sender import Sender, batch_body, own_sender
from .store import NotifierStore
from .subscriptions import Subscription

__all__ = ["Event", "Held", "Outbox", "OutboxPolicy", "event_type"]

log = structlog.get_logger("evse.notifier")


@dataclass(frozen=True)
class OutboxPolicy:
    batch_max: int
    linger_s: float
    queue_max: int
    timeout_s: float
    backoff: Backoff
    retry_window_s: float
    allow_private_addresses: bool


@dataclass
class Held:
    """A message of the application's consumer, acked when `remaining` reaches zero."""

    msg: Msg
    seq: int
    remaining: int = 0


@dataclass(frozen=True)
class Event:
    seq: int
    data: bytes
    event_id: str
    held: Held | None = None
    """None for an event read from the stream by a replaying subscription."""


Release = Callable[[Held], Awaitable[None]]


def event_type(headers: Mapping[str, str] | None, data: bytes) -> str:
    """The event's type from its header; an event without one is parsed (or skipped)."""
    kind = (headers or {}).get(EVENT_TYPE_HEADER)
    if kind is not None:
        return kind
    try:
        return parse_event(data).type
    except ValidationError:
        log.warning("unreadable event skipped")
        return ""


def _now() -> datetime:
    return datetime.now(UTC)


class Outbox:
    """One subscription's queue and sender, within its application's delivery."""

    def __init__(
        self,
        *,
        js: JetStreamContext,
        store: NotifierStore,
        subscription: Subscription,
        policy: OutboxPolicy,
        release: Release,
        live_seq: Callable[[], int],
    ) -> None:
        self.subscription = subscription
        self.replaying = subscription.replaying
        self._js = js
        self._store = store
        self._policy = policy
        self._release = release
        self._live_seq = live_seq
        self._delivered = subscription.delivered_seq
        self._stored = subscription.delivered_seq
        self._position = subscription.delivered_seq
        """The last event offered while live: older ones (redeliveries) are not taken."""
        self._queue: deque[Event] = deque()
        self._in_flight: list[Event] = []
        self._owed: list[Held] = []
        """Events taken while falling behind: let go once `replaying` is stored."""
        self._overflowing = False
        self._closed = False
        self._catch_up_to = 0
        """While `_delivered` is below it, the events up to it are still read from the stream."""
        self._behind = asyncio.Lock()
        self._ready = asyncio.Event()
        self._full = asyncio.Event()

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def overflowing(self) -> bool:
        return self._overflowing

    def offer(self, event: Event, kind: str) -> bool:
        """Queue `event` if this subscription is live and wants it; True when it holds it."""
        if self._closed or self.replaying or event.seq <= self._position:
            return False
        self._position = event.seq
        if not self.subscription.wants(kind):
            return False
        if self._overflowing or len(self._queue) >= self._policy.queue_max:
            self._overflowing = True
            if event.held is not None:
                self._owed.append(event.held)
            return True
        self._queue.append(event)
        self._ready.set()
        if len(self._queue) >= self._policy.batch_max:
            self._full.set()
        return True

    async def fall_behind(self) -> None:
        """Store that it is behind, then let go of what it holds, the batch being sent too:
        read again from the stored position, it is sent again unless this send succeeds
        first. Events offered meanwhile are held until `replaying` is stored."""
        async with self._behind:
            self._overflowing = True
            if not self.replaying:
                await self._store.fall_behind(self.subscription.id, self._delivered)
                self._stored = max(self._stored, self._delivered)
                self.replaying = True
                log.warning("subscription fell behind", subscription=self.subscription.id)
            events = (*self._in_flight, *self._queue)
            held = [e.held for e in events if e.held is not None] + self._owed
            self._in_flight = []
            self._queue.clear()
            self._owed = []
            self._overflowing = False
            self._full.clear()
            self._ready.set()  # wake the sender: it has nothing queued, it replays
        for one in held:
            await self._release(one)

    async def close(self, *, let_go: bool) -> None:
        """Stop taking events; with `let_go` (deleted, disabled) what it holds is done."""
        self._closed = True
        if not let_go:
            return
        held = [e.held for e in (*self._queue, *self._in_flight) if e.held is not None]
        held += self._owed
        self._queue.clear()
        self._in_flight = []
        self._owed = []
        for one in held:
            await self._release(one)

    async def save_position(self) -> None:
        """Store how far a live subscription is (when idle, every event up to the last offered
        is delivered or not wanted), so a replica taking over skips them."""
        if self.replaying or self._overflowing or self._delivered < self._catch_up_to:
            return
        if not self._queue and not self._in_flight:
            self._delivered = max(self._delivered, self._position)
        if self._delivered > self._stored:
            await self._store.record_delivered(
                self.subscription.id, self._delivered, replaying=False
            )
            self._stored = self._delivered

    async def run(self, tls: ssl.SSLContext) -> None:
        """Deliver until closed or disabled (the task is cancelled when it goes)."""
        allow = self._policy.allow_private_addresses
        async with own_sender(tls, allow_private_addresses=allow) as sender:
            await self._wait_until(self.subscription.next_attempt_at)
            while not self._closed:
                if self.replaying:
                    await self._replay(sender)
                    continue
                batch = await self._next_batch()
                if batch:
                    await self._send(sender, batch, batch[-1].seq)

    async def _next_batch(self) -> list[Event]:
        await self._ready.wait()
        if 0 < len(self._queue) < self._policy.batch_max:
            try:
                await asyncio.wait_for(self._full.wait(), timeout=self._policy.linger_s)
            except TimeoutError:
                pass
        count = min(len(self._queue), self._policy.batch_max)
        batch = [self._queue.popleft() for _ in range(count)]
        if not self._queue:
            self._ready.clear()
        if len(self._queue) < self._policy.batch_max:
            self._full.clear()
        return batch

    async def _send(self, sender: Sender, batch: list[Event], upto: int) -> bool:
        """POST `batch`; on a 2xx every event up to `upto` is delivered. False when it
        failed (it has then fallen behind and waited out its back-off, or is disabled)."""
        self._in_flight = batch
        body = batch_body(self.subscription.id, [event.data for event in batch])
        outcome = await sender.send(
            url=self.subscription.url,
            secret=self.subscription.secret,
            body=body,
            delivery_id=batch[0].event_id,
            timeout_s=self._policy.timeout_s,
        )
        if not outcome.delivered:
            await self._failed(outcome.error or "delivery failed")
            return False
        held = [e.held for e in self._in_flight if e.held is not None]
        self._in_flight = []
        await self._delivered_up_to(upto)
        if self.subscription.failing_since is not None:
            await self._store.record_success(self.subscription.id)
            self.subscription = replace(self.subscription, failing_since=None, attempts=0)
        for one in held:
            await self._release(one)
        return True

    async def _delivered_up_to(self, seq: int) -> None:
        """A live subscription's position is stored with each heartbeat, not each batch: a
        replica taking over gets its unacked events again, so a stale one only skips less
        (a write per POST would cost as much as the POST). A replaying one reads by it."""
        self._delivered = max(self._delivered, seq)
        if self.replaying:
            await self._store.record_delivered(
                self.subscription.id, self._delivered, replaying=True
            )
            self._stored = self._delivered

    async def _failed(self, reason: str) -> None:
        """Fall behind, record the failure and wait out the back-off, or disable."""
        await self.fall_behind()
        now = _now()
        since = self.subscription.failing_since or now
        attempts = self.subscription.attempts + 1
        if (now - since).total_seconds() >= self._policy.retry_window_s:
            hours = self._policy.retry_window_s / 3600
            why = f"deliveries failed for {hours:g} h ({attempts} attempts); last: {reason}"
            await self._store.disable(self.subscription.id, why)
            log.warning("subscription disabled", subscription=self.subscription.id, reason=why)
            self._closed = True
            return
        next_at = now + timedelta(seconds=self._policy.backoff.delay(attempts))
        await self._store.record_failure(self.subscription.id, since, attempts, next_at)
        self.subscription = replace(
            self.subscription, failing_since=since, attempts=attempts, next_attempt_at=next_at
        )
        log.info("delivery failed", subscription=self.subscription.id, reason=reason)
        await self._wait_until(next_at)

    async def _wait_until(self, when: datetime | None) -> None:
        if when is not None and (remaining := (when - _now()).total_seconds()) > 0:
            await asyncio.sleep(remaining)

    async def _replay(self, sender: Sender) -> None:
        """Take the consumer's events from now on, and first read the ones before them from
        the stream: joining at once, it never chases the stream's head one read per event
        while events keep coming. `replaying` stays stored until it has read them all."""
        until = self._live_seq()
        # No await from reading `until` to going live: the consumer's events after it are
        # offered to it from now on, the ones up to it it reads.
        self._position = max(until, self._delivered)
        self._catch_up_to = until
        self.replaying = False
        while self._delivered < until:
            batch, scanned = await self._read_stream(until)
            if batch and not await self._send(sender, batch, scanned):
                return  # fell behind again (failed): it starts over after its back-off
            if self.replaying or self._closed:
                return  # fell behind again (queue full) meanwhile
            self._delivered = max(self._delivered, scanned)
        await self._store.record_delivered(self.subscription.id, self._delivered, replaying=False)
        self._stored = self._delivered
        log.info("subscription caught up", subscription=self.subscription.id)

    async def _read_stream(self, until: int) -> tuple[list[Event], int]:
        """Up to a batch of wanted events after the delivered position up to `until`, and
        the last sequence looked at."""
        batch: list[Event] = []
        scanned = self._delivered
        subject = application_filter(self.subscription.application_uid)
        while len(batch) < self._policy.batch_max and scanned < until:
            try:
                raw = await self._js.get_msg(
                    NOTIFICATIONS_STREAM, seq=scanned + 1, subject=subject, next=True
                )
            except NotFoundError:
                return batch, until
            if raw.seq is None or raw.seq > until:
                return batch, until
            scanned = raw.seq
            data = raw.data or b""
            if self.subscription.wants(event_type(raw.headers, data)):
                event_id = (raw.headers or {}).get(MSG_ID_HEADER, "")
                batch.append(Event(scanned, data, event_id))
        return batch, scanned
