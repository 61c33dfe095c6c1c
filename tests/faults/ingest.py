"""Publishing telemetry at least once, and following telemetry's consumer as it catches up."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError

from evse_contracts.ids import new_uid
from evse_contracts.telemetry import TELEMETRY_STREAM, StatusLog, publish_event
from evse_telemetry.app import log_consumer
from tests.utils.telemetry import base_time, status

__all__ = ["Publisher", "acked_through", "caught_up", "make_events"]

WINDOW = 1_000
"""Publishes in flight at once."""
STALL_POLLS = 600
"""Polls (0.2 s apart) without progress of the consumer's ack floor before giving up."""


@dataclass
class Publisher:
    """Publishes with `Nats-Msg-Id` and retries each event until JetStream acks it."""

    nc: NatsClient
    attempts: int = 0
    failures: int = 0
    acked: int = 0

    async def publish(self, event: StatusLog) -> None:
        js = self.nc.jetstream(timeout=2.0)
        while True:
            self.attempts += 1
            try:
                await publish_event(js, event)
            except (NatsError, TimeoutError):
                self.failures += 1
                await asyncio.sleep(0.2)
                continue
            self.acked += 1
            return

    async def publish_all(
        self, events: Sequence[StatusLog], go: asyncio.Event | None = None
    ) -> None:
        """Publish `WINDOW` at a time; with `go`, each window waits until it is set."""
        for i in range(0, len(events), WINDOW):
            if go is not None:
                await go.wait()
            await asyncio.gather(*(self.publish(e) for e in events[i : i + WINDOW]))


def make_events(count: int, evses: int = 100) -> list[StatusLog]:
    """`count` status events spread over `evses` EVSEs, each with its own timestamp."""
    evse_uids = [new_uid("evse") for _ in range(evses)]
    start = base_time() - timedelta(seconds=count)
    return [
        status(evse_uids[i % evses], start + timedelta(seconds=i // evses)) for i in range(count)
    ]


async def acked_through(nc: NatsClient, count: int) -> None:
    """Wait until telemetry has acked (so stored) the first `count` status events."""
    js = nc.jetstream()
    while (
        await js.consumer_info(TELEMETRY_STREAM, log_consumer("status"))
    ).ack_floor.stream_seq < count:
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Settled:
    """Where telemetry's status consumer stands once it has caught up."""

    acked: int
    """Its ack floor: the stream sequence up to which every event is stored."""
    redelivered: int
    """Deliveries beyond one per stream message (the stream holds only this test's events)."""


async def caught_up(nc: NatsClient, count: int) -> Settled:
    """Wait until telemetry's status consumer has delivered `count` events and has none
    pending or unacked (acks follow the writes), or its ack floor stops moving."""
    info: Settled | None = None
    js = nc.jetstream()
    floor, still = -1, 0
    while still < STALL_POLLS:
        try:
            consumer = await js.consumer_info(TELEMETRY_STREAM, log_consumer("status"))
        except (NatsError, TimeoutError):  # no consumer leader at this moment (a cluster)
            still += 1
            await asyncio.sleep(0.2)
            continue
        delivered, acked = consumer.delivered, consumer.ack_floor
        assert delivered is not None and acked is not None
        info = Settled(acked.stream_seq, delivered.consumer_seq - delivered.stream_seq)
        pending = (consumer.num_pending or 0) + (consumer.num_ack_pending or 0)
        if delivered.stream_seq >= count and not pending:
            return info
        floor, still = (acked.stream_seq, (still + 1 if acked.stream_seq == floor else 0))
        await asyncio.sleep(0.2)
    assert info is not None, "telemetry's status consumer never answered"
    return info
