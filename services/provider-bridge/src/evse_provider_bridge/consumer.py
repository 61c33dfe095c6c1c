"""A durable JetStream pull consumer loop: ack after the work, nak to retry, term poison."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

__all__ = ["Poison", "consume"]

log = structlog.get_logger("evse.bridge.consumer")


class Poison(Exception):
    """A message that can never be handled: terminate it and copy it to `deadletter.<stream>`."""


async def consume(
    nc: NatsClient,
    *,
    stream: str,
    subject: str,
    durable: str,
    handle: Callable[[Msg], Awaitable[None]],
    stopping: asyncio.Event,
    retry_delay_s: float = 10.0,
) -> None:
    js = nc.jetstream()
    config = ConsumerConfig(
        ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, max_deliver=20
    )
    while not stopping.is_set():
        try:
            sub = await js.pull_subscribe(subject, durable=durable, stream=stream, config=config)
            break
        except Exception:
            log.exception("cannot subscribe yet", stream=stream, durable=durable)
            await _pause(stopping, retry_delay_s)
    else:
        return
    try:
        while not stopping.is_set():
            try:
                messages = await sub.fetch(batch=16, timeout=1.0)
            except TimeoutError:
                continue
            except Exception:
                log.exception("fetch failed", stream=stream, durable=durable)
                await _pause(stopping, 1.0)
                continue
            for msg in messages:
                await _handle_one(nc, stream, msg, handle, retry_delay_s)
    finally:
        await sub.unsubscribe()


async def _pause(stopping: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def _handle_one(
    nc: NatsClient,
    stream: str,
    msg: Msg,
    handle: Callable[[Msg], Awaitable[None]],
    retry_delay_s: float,
) -> None:
    try:
        await handle(msg)
    except Poison as exc:
        log.warning("poison message", subject=msg.subject, reason=str(exc))
        await nc.publish(f"deadletter.{stream}", msg.data, headers={"x-reason": str(exc)[:500]})
        await msg.term()
        return
    except Exception:
        log.exception("message failed; will retry", subject=msg.subject)
        await msg.nak(delay=retry_delay_s)
        return
    await msg.ack()
