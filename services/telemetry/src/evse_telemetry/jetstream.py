"""Streams and durable pull consumers, declared idempotently, and the loop that pulls.

Each consumer loop fetches a batch, hands it to a batch handler that acks, naks or
terminates every message it was given, and returns once the runtime is stopping, after
its current batch. Replicas bind the same durable consumer, so they share its messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from evse_contracts.evses import EVSE_EVENTS_STREAM
from evse_contracts.telemetry import (
    DEADLETTER_REASON_HEADER,
    DEADLETTER_SUBJECT_HEADER,
    TELEMETRY_STREAM,
    TELEMETRY_SUBJECTS,
    deadletter_subject,
)

__all__ = [
    "DEADLETTER_STREAM",
    "STREAMS",
    "BatchHandler",
    "PullLoop",
    "dead_letter",
    "declare_consumer",
    "declare_streams",
]

log = structlog.get_logger("evse.telemetry")
BatchHandler = Callable[[Sequence[Msg]], Awaitable[None]]
DEADLETTER_STREAM = "DEADLETTER"
_DAY_S = 86_400.0

STREAMS = (
    StreamConfig(
        name=TELEMETRY_STREAM,
        subjects=[TELEMETRY_SUBJECTS],
        storage=StorageType.FILE,
        duplicate_window=600.0,
    ),
    StreamConfig(
        name=EVSE_EVENTS_STREAM,
        subjects=["evses.events.>"],
        storage=StorageType.FILE,
        duplicate_window=600.0,
    ),
    StreamConfig(
        name=DEADLETTER_STREAM,
        subjects=["deadletter.>"],
        storage=StorageType.FILE,
        max_age=30 * _DAY_S,
    ),
)


async def declare_streams(js: JetStreamContext) -> None:
    """Create the streams telemetry reads and writes; an existing stream is left as it is.

    Another service may declare the same stream (onboarding declares `EVSE_EVENTS`); whoever
    starts first creates it, and a differing configuration is logged, not fought over.
    """
    for config in STREAMS:
        try:
            await js.add_stream(config)
        except BadRequestError as exc:
            await js.stream_info(config.name or "")
            log.warning(
                "stream exists with another configuration", stream=config.name, error=str(exc)
            )


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
    """Pull batches from one durable consumer until `stopping` is set."""

    js: JetStreamContext
    stream: str
    durable: str
    batch: int
    fetch_timeout_s: float
    handle: BatchHandler
    stopping: asyncio.Event

    async def run(self) -> None:
        sub = await self.js.pull_subscribe_bind(self.durable, stream=self.stream)
        try:
            while not self.stopping.is_set():
                try:
                    msgs = await sub.fetch(self.batch, timeout=self.fetch_timeout_s)
                except TimeoutError:  # nothing to fetch (nats-py raises both kinds)
                    continue
                except NatsError:
                    log.exception("pull failed", consumer=self.durable)
                    await asyncio.sleep(self.fetch_timeout_s)
                    continue
                try:
                    await self.handle(msgs)
                except Exception:
                    # Unacked messages come back after ack_wait; the loop must live on.
                    log.exception("batch failed", consumer=self.durable, size=len(msgs))
        finally:
            await sub.unsubscribe()
