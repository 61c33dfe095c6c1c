"""Durable JetStream pull consumers: fetch batches, ack after the work, dead-letter poison.

A `PullLoop` fetches a batch from one durable consumer and hands it to a batch handler that
acks, naks or terminates every message it was given; it returns once the runtime is
stopping, after its current batch. Replicas bind the same durable consumer, so they share
its messages, and on a cluster a pull loop rides out a consumer leader change without a
restart. `one_by_one` and `per_key` make a batch handler of a per-message one; `consume`
and `consume_batches` declare a durable consumer and start its pull loops, tuned by the
service's `ConsumerSettings`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import BadRequestError, ServiceUnavailableError

from evse_contracts.bus import (
    DEADLETTER_REASON_HEADER,
    DEADLETTER_SUBJECT_HEADER,
    deadletter_subject,
)

from .pauses import pause
from .service import Runtime
from .settings import ConsumerSettings

__all__ = [
    "BatchHandler",
    "Gate",
    "MessageHandler",
    "Poison",
    "PullLoop",
    "consume",
    "consume_batches",
    "dead_letter",
    "declare_consumer",
    "one_by_one",
    "per_key",
    "pull_config",
]

log = structlog.get_logger("evse.consumers")
BatchHandler = Callable[[Sequence[Msg]], Awaitable[None]]
MessageHandler = Callable[[Msg], Awaitable[None]]
Gate = Callable[[], Awaitable[bool]]
Key = Callable[[Msg], str]


class Poison(Exception):
    """A message that can never be handled: it is dead-lettered, never retried."""


async def declare_consumer(js: JetStreamContext, stream: str, config: ConsumerConfig) -> None:
    """Create the durable consumer, or update it to `config` when it already exists."""
    try:
        await js.add_consumer(stream, config)
    except BadRequestError as exc:
        log.warning("consumer kept as it is", consumer=config.durable_name, error=str(exc))


def pull_config(
    durable: str, filter_subject: str, *, ack_wait_s: float, max_deliver: int, batch: int
) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=durable,
        filter_subject=filter_subject,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait_s,
        max_deliver=max_deliver,
        max_ack_pending=batch * 20,
    )


async def dead_letter(js: JetStreamContext, stream: str, msg: Msg, reason: str) -> None:
    """Copy `msg` to `deadletter.<stream>` with why and where from, then terminate it."""
    headers = {
        DEADLETTER_REASON_HEADER: reason.replace("\r", " ").replace("\n", " ")[:1000],
        DEADLETTER_SUBJECT_HEADER: msg.subject,
    }
    await js.publish(deadletter_subject(stream), msg.data, headers=headers)
    await msg.term()
    log.warning("dead-lettered", stream=stream, subject=msg.subject, reason=reason)


@dataclass
class PullLoop:
    """Pull batches from one durable consumer until `stopping` is set.

    With `may_pull` (e.g. "this replica holds a lease"), it pulls only while that says yes,
    asking before every fetch and waiting `closed_pause_s` between noes.

    With `linger_s`, a fetch waits (up to `fetch_timeout_s`) for one message only, then takes
    what else comes within `linger_s`, up to `batch`: nats-py's `fetch(batch)` that has to
    wait returns early only once `batch` messages came, so under light traffic every message
    would wait the whole fetch timeout. Without it, batches fill (bulk writers want that).
    """

    js: JetStreamContext
    stream: str
    durable: str
    batch: int
    fetch_timeout_s: float
    handle: BatchHandler
    stopping: asyncio.Event
    may_pull: Gate | None = None
    closed_pause_s: float = 1.0
    linger_s: float | None = None

    async def run(self) -> None:
        sub = await self.js.pull_subscribe_bind(self.durable, stream=self.stream)
        try:
            while not self.stopping.is_set():
                if not await self._open():
                    await self._pause(self.closed_pause_s)
                    continue
                try:
                    msgs = await self._fetch(sub)
                except TimeoutError:  # nothing to fetch (nats-py raises both kinds)
                    continue
                except ServiceUnavailableError:
                    # No consumer leader (an election after a cluster node was lost): nats-py
                    # gets a 503 for the pull. The durable and its acks live on the other
                    # replicas, so pulling again once one leads is all it takes.
                    log.warning("no consumer leader; pulling again", consumer=self.durable)
                    await self._pause(self.fetch_timeout_s)
                    continue
                except NatsError:
                    log.exception("pull failed", consumer=self.durable)
                    await self._pause(self.fetch_timeout_s)
                    continue
                try:
                    await self.handle(msgs)
                except Exception:
                    # Unacked messages come back after ack_wait; the loop must live on.
                    log.exception("batch failed", consumer=self.durable, size=len(msgs))
        finally:
            await sub.unsubscribe()

    async def _fetch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        if self.linger_s is None or self.batch == 1:
            return await sub.fetch(self.batch, timeout=self.fetch_timeout_s)
        msgs = await sub.fetch(1, timeout=self.fetch_timeout_s)
        try:
            msgs += await sub.fetch(self.batch - 1, timeout=self.linger_s)
        except (TimeoutError, NatsError):
            pass  # nothing more came (or the pull failed): the next fetch takes the rest
        return msgs

    async def _open(self) -> bool:
        if self.may_pull is None:
            return True
        try:
            return await self.may_pull()
        except Exception:
            log.exception("pull gate failed", consumer=self.durable)
            return False

    async def _pause(self, seconds: float) -> None:
        await pause(self.stopping, seconds)


def one_by_one(
    js: JetStreamContext, stream: str, handle: MessageHandler, *, retry_delay_s: float
) -> BatchHandler:
    """A batch handler running `handle` per message: ack after it, nak (later retry) when it
    fails, dead-letter when it raises `Poison`."""

    async def handle_batch(msgs: Sequence[Msg]) -> None:
        for msg in msgs:
            if not await _settled(js, stream, handle, msg):
                await msg.nak(delay=retry_delay_s)

    return handle_batch


async def _settled(js: JetStreamContext, stream: str, handle: MessageHandler, msg: Msg) -> bool:
    """Run `handle`, then ack `msg`, or dead-letter it when it is `Poison`; False when the
    handler failed otherwise, leaving the message to the caller to nak."""
    try:
        await handle(msg)
    except Poison as exc:
        await dead_letter(js, stream, msg, str(exc))
        return True
    except Exception:
        log.exception("message failed; will retry", subject=msg.subject)
        return False
    await msg.ack()
    return True


def per_key(
    js: JetStreamContext, stream: str, handle: MessageHandler, *, key: Key, retry_delay_s: float
) -> BatchHandler:
    """A batch handler running the messages of one `key` (e.g. one EVSE) in order and
    different keys at once. Each message is acked after `handle`; one that fails is nak'ed
    with the rest of its key's messages in the batch, so none overtakes it; one that raises
    `Poison` is dead-lettered."""

    async def handle_group(msgs: list[Msg]) -> None:
        for index, msg in enumerate(msgs):
            if not await _settled(js, stream, handle, msg):
                await asyncio.gather(*(m.nak(delay=retry_delay_s) for m in msgs[index:]))
                return

    async def handle_batch(msgs: Sequence[Msg]) -> None:
        groups: dict[str, list[Msg]] = {}
        for msg in msgs:
            groups.setdefault(key(msg), []).append(msg)
        await asyncio.gather(*(handle_group(group) for group in groups.values()))

    return handle_batch


async def consume(
    runtime: Runtime,
    *,
    stream: str,
    durable: str,
    filter_subject: str,
    handle: MessageHandler,
    settings: ConsumerSettings,
    key: Key | None = None,
    pulls: int = 1,
    may_pull: Gate | None = None,
    closed_pause_s: float = 1.0,
) -> None:
    """Handle `filter_subject` of `stream` message by message: `one_by_one`, or with `key`
    `per_key` (each key's messages in order); see `consume_batches` for the rest."""
    batch = (
        one_by_one(runtime.js, stream, handle, retry_delay_s=settings.retry_delay_s)
        if key is None
        else per_key(runtime.js, stream, handle, key=key, retry_delay_s=settings.retry_delay_s)
    )
    await consume_batches(
        runtime,
        stream=stream,
        durable=durable,
        filter_subject=filter_subject,
        handle=batch,
        settings=settings,
        pulls=pulls,
        may_pull=may_pull,
        closed_pause_s=closed_pause_s,
    )


async def consume_batches(
    runtime: Runtime,
    *,
    stream: str,
    durable: str,
    filter_subject: str,
    handle: BatchHandler,
    settings: ConsumerSettings,
    pulls: int = 1,
    may_pull: Gate | None = None,
    closed_pause_s: float = 1.0,
) -> None:
    """Declare the durable consumer and run `pulls` `PullLoop`s of it in this replica (more
    than one keeps a batch in flight while the next is fetched), each until the runtime stops.
    """
    config = pull_config(
        durable,
        filter_subject,
        ack_wait_s=settings.ack_wait_s,
        max_deliver=settings.max_deliver,
        batch=settings.batch_size,
    )
    await declare_consumer(runtime.js, stream, config)
    for _ in range(pulls):
        loop = PullLoop(
            runtime.js,
            stream,
            durable,
            settings.batch_size,
            settings.fetch_timeout_s,
            handle,
            runtime.stopping,
            may_pull=may_pull,
            closed_pause_s=closed_pause_s,
            linger_s=settings.fetch_linger_s,
        )
        runtime.loop(loop.run)
