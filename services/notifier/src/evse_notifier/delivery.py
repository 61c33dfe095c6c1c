"""Deliver each application's webhooks from one consumer, fanned out in process.

Each application with a subscription has one durable JetStream consumer on `NOTIFICATIONS`
(`webhooks-<application uid>`, filtered to its subjects). One replica at a time delivers an
application, while it holds the application's lease (`leases`, `webhooks:<application>`);
it pulls the consumer and offers every event to each subscription's `Outbox` (queue, batches,
sender). An event is acked once every live subscription it was queued for has had it taken
with a 2xx, or has gone (deleted, disabled) or fallen behind, having stored so; held events
are marked in progress while they wait, and nak'ed when the replica stops, so a replica
taking over gets them at once. Each subscription stores the stream sequence it has been
delivered up to, so the one taking over skips what was delivered and continues a
subscription's back-off and replay where they were.

Before, each subscription had its own consumer (`webhook-<subscription id>`): every event was
fetched, parsed and acked once per subscription. On start those consumers are deleted, each
subscription continuing from its consumer's ack floor (`migrate_subscription_consumers`).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from evse_contracts.notifications import NOTIFICATIONS_STREAM, application_filter
from evse_contracts.telemetry import MSG_ID_HEADER
from evse_runtime.consumers import PullLoop, declare_consumer
from evse_runtime.pauses import pause

from .lease import Lease
from .outbox import Event, Held, Outbox, OutboxPolicy, event_type
from .store import NotifierStore
from .subscriptions import application_consumer, consumer_name

__all__ = [
    "ApplicationDelivery",
    "DeliveryPolicy",
    "Dispatcher",
    "declare_application_consumer",
    "migrate_subscription_consumers",
    "stream_last_seq",
]

log = structlog.get_logger("evse.notifier")


@dataclass(frozen=True)
class DeliveryPolicy:
    outbox: OutboxPolicy
    hold_max: int
    fetch_timeout_s: float
    fetch_linger_s: float
    lease_s: float
    ack_wait_s: float
    claim_interval_s: float

    @property
    def heartbeat_s(self) -> float:
        """How often held events and the lease are refreshed: well inside both."""
        return min(self.ack_wait_s, self.lease_s) / 3


async def declare_application_consumer(
    js: JetStreamContext, application_uid: str, policy: DeliveryPolicy
) -> None:
    """The application's consumer, from the next event on when it is new."""
    config = ConsumerConfig(
        durable_name=application_consumer(application_uid),
        filter_subject=application_filter(application_uid),
        deliver_policy=DeliverPolicy.NEW,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=policy.ack_wait_s,
        max_deliver=-1,
        max_ack_pending=policy.hold_max + policy.outbox.batch_max,
    )
    await declare_consumer(js, NOTIFICATIONS_STREAM, config)


async def stream_last_seq(js: JetStreamContext) -> int:
    return (await js.stream_info(NOTIFICATIONS_STREAM)).state.last_seq


async def migrate_subscription_consumers(js: JetStreamContext, store: NotifierStore) -> None:
    """Give each subscription of the per-subscription design its consumer's ack floor as its
    delivered position (behind: it reads the rest from the stream), then delete that
    consumer. Without one, it starts after the stream's last event."""
    for subscription in await store.unpositioned_subscriptions():
        name = consumer_name(subscription.id)
        try:
            seq = (await js.consumer_info(NOTIFICATIONS_STREAM, name)).ack_floor.stream_seq
        except NotFoundError:
            seq = await stream_last_seq(js)
        await store.place_subscription(subscription.id, seq)
        try:
            await js.delete_consumer(NOTIFICATIONS_STREAM, name)
        except NotFoundError:
            pass
        log.info("subscription consumer migrated", subscription=subscription.id, seq=seq)


@dataclass
class ApplicationDelivery:
    """Deliver one application's subscriptions while holding its lease."""

    js: JetStreamContext
    store: NotifierStore
    tls: ssl.SSLContext
    policy: DeliveryPolicy
    application_uid: str
    lease: Lease
    stopping: asyncio.Event
    _outboxes: dict[str, Outbox] = field(default_factory=dict)
    _senders: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _held: dict[int, Held] = field(default_factory=dict)
    _dispatched: int = 0
    _broken: bool = False
    _last_heartbeat: float = 0.0

    async def run(self) -> None:
        """Deliver until the lease is lost, no subscription is left, or the service stops."""
        done = asyncio.Event()
        try:
            await declare_application_consumer(self.js, self.application_uid, self.policy)
            await self._refresh()
            pull = PullLoop(
                self.js,
                NOTIFICATIONS_STREAM,
                application_consumer(self.application_uid),
                self.policy.outbox.batch_max,
                self.policy.fetch_timeout_s,
                self._dispatch,
                done,
                linger_s=self.policy.fetch_linger_s,
            )
            pulling = asyncio.create_task(pull.run())
            try:
                while self._outboxes and not pulling.done() and await self._beat():
                    pass
            finally:
                done.set()
                await pulling
        except Exception:
            log.exception("application delivery stopped", application=self.application_uid)
        finally:
            await self._stop()

    async def _beat(self) -> bool:
        """Follow subscription changes every claim interval; every heartbeat, keep the lease
        and the held events and store positions."""
        await pause(self.stopping, self.policy.claim_interval_s)
        if self.stopping.is_set() or self._broken or not await self.lease.held():
            return False
        await self._refresh()
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_heartbeat < self.policy.heartbeat_s:
            return True
        self._last_heartbeat = loop.time()
        for held in list(self._held.values()):
            await held.msg.in_progress()
        for outbox in list(self._outboxes.values()):
            await outbox.save_position()
        return True

    async def _refresh(self) -> None:
        """Start new subscriptions; let go of the deleted and disabled ones."""
        current = {s.id: s for s in await self.store.active_subscriptions(self.application_uid)}
        for gone in [key for key in self._outboxes if key not in current]:
            await self._close(gone, let_go=True)
        for key, subscription in current.items():
            if key not in self._outboxes:
                outbox = Outbox(
                    js=self.js,
                    store=self.store,
                    subscription=subscription,
                    policy=self.policy.outbox,
                    release=self._release,
                    live_seq=lambda: self._dispatched,
                )
                self._outboxes[key] = outbox
                self._senders[key] = asyncio.create_task(self._send_all(outbox))

    async def _send_all(self, outbox: Outbox) -> None:
        try:
            await outbox.run(self.tls)
        except asyncio.CancelledError:
            raise
        except Exception:
            # It may hold events it will never send: the whole delivery stops (they go back
            # to the consumer) and starts again from what each subscription stored.
            log.exception("subscription delivery failed", subscription=outbox.subscription.id)
            self._broken = True

    async def _dispatch(self, msgs: Sequence[Msg]) -> None:
        """Offer each event to every subscription; ack at once the ones nobody holds."""
        unheld: list[Msg] = []
        for msg in msgs:
            seq = msg.metadata.sequence.stream
            if seq in self._held:
                continue  # redelivered while still held: its subscriptions have it
            held = Held(msg, seq)
            event = Event(seq, msg.data, (msg.headers or {}).get(MSG_ID_HEADER, ""), held)
            kind = event_type(msg.headers, msg.data)
            for outbox in self._outboxes.values():
                if outbox.offer(event, kind):
                    held.remaining += 1
            self._dispatched = max(self._dispatched, seq)
            if held.remaining:
                self._held[seq] = held
            else:
                unheld.append(msg)
        for outbox in list(self._outboxes.values()):
            if outbox.overflowing:
                await outbox.fall_behind()
        await self._make_room()
        for msg in unheld:
            await msg.ack()

    async def _make_room(self) -> None:
        """Past `hold_max` held events, the subscription with the longest queue falls behind."""
        while len(self._held) > self.policy.hold_max:
            queued = [o for o in self._outboxes.values() if o.queued and not o.replaying]
            if not queued:
                return  # only batches being sent: they finish (or fail) within the timeout
            await max(queued, key=lambda o: o.queued).fall_behind()

    async def _release(self, held: Held) -> None:
        held.remaining -= 1
        if held.remaining <= 0 and self._held.pop(held.seq, None) is not None:
            await held.msg.ack()

    async def _close(self, key: str, *, let_go: bool) -> None:
        outbox = self._outboxes.pop(key)
        task = self._senders.pop(key)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await outbox.close(let_go=let_go)

    async def _stop(self) -> None:
        """Stop every sender; what is still held goes back to the consumer for the next
        holder of the lease."""
        for key in list(self._outboxes):
            await self._close(key, let_go=False)
        held, self._held = list(self._held.values()), {}
        await asyncio.gather(*(one.msg.nak() for one in held), return_exceptions=True)
        await self.lease.release()


@dataclass
class Dispatcher:
    """Takes the lease of every application nobody delivers and delivers it, until stopping."""

    js: JetStreamContext
    store: NotifierStore
    tls: ssl.SSLContext
    owner: str
    policy: DeliveryPolicy
    stopping: asyncio.Event
    _running: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def run(self) -> None:
        try:
            await migrate_subscription_consumers(self.js, self.store)
        except Exception:
            log.exception("migrating subscription consumers failed")
        while not self.stopping.is_set():
            try:
                await self._claim_all()
            except Exception:
                log.exception("claiming applications failed")
            await pause(self.stopping, self.policy.claim_interval_s)
        if self._running:
            await asyncio.wait(self._running.values())

    async def _claim_all(self) -> None:
        for application_uid in await self.store.delivering_applications():
            if application_uid in self._running:
                continue
            lease = Lease(
                self.store, f"webhooks:{application_uid}", self.owner, self.policy.lease_s
            )
            if await lease.held():
                task = asyncio.create_task(self._deliver(application_uid, lease))
                self._running[application_uid] = task

    async def _deliver(self, application_uid: str, lease: Lease) -> None:
        try:
            await ApplicationDelivery(
                self.js, self.store, self.tls, self.policy, application_uid, lease, self.stopping
            ).run()
        finally:
            self._running.pop(application_uid, None)
