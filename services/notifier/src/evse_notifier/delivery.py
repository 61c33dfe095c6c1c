"""Deliver one subscription's events while holding its lease, then the claim loop over all.

Each subscription has a durable JetStream consumer on `NOTIFICATIONS` filtered to its
application, created with the subscription (deliver new events only). One replica at a
time delivers a subscription: it holds a lease in MongoDB, renewed while it works.

A batch is POSTed until the receiver takes it: between attempts the events stay unacked
(marked in progress) and the consumer's `max_ack_pending` equals the batch size, so nothing
newer overtakes them: order per EVSE holds. Failures are recorded on the subscription
(`failing_since`, `attempts`, `next_attempt_at`), so a replica that takes over after a
restart continues the backoff; a subscription failing longer than the retry window is
disabled with the reason. Events are acked only after a 2xx: at least once, never lost.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import structlog
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from evse_contracts.notifications import (
    EVENT_TYPE_HEADER,
    NOTIFICATIONS_STREAM,
    application_filter,
    parse_event,
)
from evse_contracts.telemetry import MSG_ID_HEADER
from evse_runtime.consumers import declare_consumer

from .backoff import Backoff
from .sender import Sender, batch_body, own_sender
from .store import NotifierStore
from .subscriptions import Subscription, consumer_name

__all__ = ["DeliveryPolicy", "Dispatcher", "SubscriptionDelivery", "declare_delivery_consumer"]

log = structlog.get_logger("evse.notifier")


@dataclass(frozen=True)
class DeliveryPolicy:
    batch_max: int
    linger_s: float
    fetch_timeout_s: float
    timeout_s: float
    backoff: Backoff
    retry_window_s: float
    lease_s: float
    ack_wait_s: float
    claim_interval_s: float
    allow_private_addresses: bool

    @property
    def heartbeat_s(self) -> float:
        """How often held events and the lease are refreshed: well inside both."""
        return min(self.ack_wait_s, self.lease_s) / 3


async def declare_delivery_consumer(
    js: JetStreamContext, subscription: Subscription, policy: DeliveryPolicy
) -> None:
    config = ConsumerConfig(
        durable_name=consumer_name(subscription.id),
        filter_subject=application_filter(subscription.application_uid),
        deliver_policy=DeliverPolicy.NEW,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=policy.ack_wait_s,
        max_deliver=-1,
        max_ack_pending=policy.batch_max,
    )
    await declare_consumer(js, NOTIFICATIONS_STREAM, config)


def _now() -> datetime:
    return datetime.now(UTC)


def _event_type(msg: Msg) -> str:
    """The event's type from its header; an event without one is parsed (or skipped)."""
    event_type = (msg.headers or {}).get(EVENT_TYPE_HEADER)
    if event_type is not None:
        return event_type
    try:
        return parse_event(msg.data).type
    except ValidationError:
        log.warning("unreadable event skipped", subject=msg.subject)
        return ""


@dataclass
class SubscriptionDelivery:
    js: JetStreamContext
    store: NotifierStore
    sender: Sender
    subscription: Subscription
    owner: str
    policy: DeliveryPolicy
    stopping: asyncio.Event

    async def run(self) -> None:
        """Deliver until the lease is lost, the subscription goes, or the service stops."""
        try:
            await declare_delivery_consumer(self.js, self.subscription, self.policy)
            pull = await self.js.pull_subscribe_bind(
                consumer_name(self.subscription.id), stream=NOTIFICATIONS_STREAM
            )
            try:
                await self._deliver_all(pull)
            finally:
                await pull.unsubscribe()
        except Exception:
            log.exception("delivery stopped", subscription=self.subscription.id)
        finally:
            await self.store.release(self.subscription.id, self.owner)

    async def _deliver_all(self, pull: JetStreamContext.PullSubscription) -> None:
        if not await self._hold_until(self.subscription.next_attempt_at, ()):
            return
        while not self.stopping.is_set():
            try:
                msgs = await self._fetch(pull)
            except TimeoutError:
                msgs = []
            except NatsError as exc:
                log.warning("pull failed", subscription=self.subscription.id, error=str(exc))
                msgs = []
                await asyncio.sleep(self.policy.fetch_timeout_s)
            if not msgs:
                if not await self._renew():
                    return
                continue
            if not await self._deliver(msgs):
                return

    async def _fetch(self, pull: JetStreamContext.PullSubscription) -> list[Msg]:
        """Wait for one event, then add what is pending, up to a batch; if nothing else is,
        wait `linger_s` for more.

        nats-py's `fetch(n)` that has to wait returns early only once `n` messages came,
        so under light traffic one `fetch(batch_max)` would hold each event for the whole
        fetch timeout."""
        msgs = await pull.fetch(1, timeout=self.policy.fetch_timeout_s)
        if len(msgs) < self.policy.batch_max:
            try:
                wanted = self.policy.batch_max - len(msgs)
                msgs += await pull.fetch(wanted, timeout=self.policy.linger_s)
            except TimeoutError:
                pass  # nothing more pending; late arrivals wait in the queue for the next fetch
        return msgs

    async def _deliver(self, msgs: Sequence[Msg]) -> bool:
        """Deliver one batch until it is taken; False when delivery must stop."""
        wanted = [msg for msg in msgs if self.subscription.wants(_event_type(msg))]
        if wanted:
            body = batch_body(self.subscription.id, [msg.data for msg in wanted])
            delivery_id = (wanted[0].headers or {}).get(MSG_ID_HEADER, "")
            if not await self._post_until_taken(body, delivery_id, msgs):
                return False
        for msg in msgs:  # each ack is a buffered publish: no task per message
            await msg.ack()
        return True

    async def _post_until_taken(self, body: bytes, delivery_id: str, msgs: Sequence[Msg]) -> bool:
        while True:
            outcome = await self.sender.send(
                url=self.subscription.url,
                secret=self.subscription.secret,
                body=body,
                delivery_id=delivery_id,
                timeout_s=self.policy.timeout_s,
            )
            if outcome.delivered:
                if self.subscription.failing_since is not None:
                    await self.store.record_success(self.subscription.id)
                    self.subscription = replace(self.subscription, failing_since=None, attempts=0)
                return True
            if not await self._after_failure(outcome.error or "delivery failed", msgs):
                return False

    async def _after_failure(self, reason: str, msgs: Sequence[Msg]) -> bool:
        """Record the failure and wait out the backoff, or disable the subscription."""
        now = _now()
        since = self.subscription.failing_since or now
        attempts = self.subscription.attempts + 1
        if (now - since).total_seconds() >= self.policy.retry_window_s:
            hours = self.policy.retry_window_s / 3600
            why = f"deliveries failed for {hours:g} h ({attempts} attempts); last: {reason}"
            await self.store.disable(self.subscription.id, why)
            log.warning("subscription disabled", subscription=self.subscription.id, reason=why)
            return False
        next_at = now + timedelta(seconds=self.policy.backoff.delay(attempts))
        await self.store.record_failure(self.subscription.id, since, attempts, next_at)
        self.subscription = replace(
            self.subscription, failing_since=since, attempts=attempts, next_attempt_at=next_at
        )
        log.info("delivery failed", subscription=self.subscription.id, reason=reason)
        return await self._hold_until(next_at, msgs)

    async def _hold_until(self, when: datetime | None, msgs: Sequence[Msg]) -> bool:
        """Wait until `when`, keeping `msgs` and the lease; False if either must go."""
        while when is not None and (remaining := (when - _now()).total_seconds()) > 0:
            try:
                await asyncio.wait_for(
                    self.stopping.wait(), timeout=min(remaining, self.policy.heartbeat_s)
                )
            except TimeoutError:
                pass
            if self.stopping.is_set() or not await self._renew():
                await asyncio.gather(*(msg.nak() for msg in msgs))
                return False
            await asyncio.gather(*(msg.in_progress() for msg in msgs))
        return True

    async def _renew(self) -> bool:
        until = _now() + timedelta(seconds=self.policy.lease_s)
        return await self.store.renew(self.subscription.id, self.owner, until)


@dataclass
class Dispatcher:
    """Claims every subscription nobody delivers and runs its delivery, until stopping."""

    js: JetStreamContext
    store: NotifierStore
    tls: ssl.SSLContext
    owner: str
    policy: DeliveryPolicy
    stopping: asyncio.Event
    _running: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def run(self) -> None:
        while not self.stopping.is_set():
            try:
                await self._claim_all()
            except Exception:
                log.exception("claiming subscriptions failed")
            try:
                await asyncio.wait_for(self.stopping.wait(), timeout=self.policy.claim_interval_s)
            except TimeoutError:
                pass
        if self._running:
            await asyncio.wait(self._running.values())

    async def _claim_all(self) -> None:
        while (
            claimed := await self.store.claim(self.owner, _now(), self.policy.lease_s)
        ) is not None:
            if claimed.id in self._running:
                continue
            self._running[claimed.id] = asyncio.create_task(self._deliver(claimed))

    async def _deliver(self, subscription: Subscription) -> None:
        try:
            async with own_sender(
                self.tls, allow_private_addresses=self.policy.allow_private_addresses
            ) as sender:
                await SubscriptionDelivery(
                    self.js,
                    self.store,
                    sender,
                    subscription,
                    self.owner,
                    self.policy,
                    self.stopping,
                ).run()
        finally:
            self._running.pop(subscription.id, None)
