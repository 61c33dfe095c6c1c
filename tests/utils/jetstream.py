"""Reading back what a JetStream stream holds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from nats.js import JetStreamContext
from nats.js.errors import ServiceUnavailableError

__all__ = ["stream_payloads"]

T = TypeVar("T")
_ATTEMPTS = 100
_PAUSE_S = 0.1


async def stream_payloads(js: JetStreamContext, stream: str) -> list[bytes]:
    """Every message's payload in `stream`, in stream order, read one by one (no consumer,
    so it reads the same from any node, whoever leads)."""
    state = (await _settled(partial(js.stream_info, stream))).state
    payloads = []
    for seq in range(state.first_seq, state.last_seq + 1):
        msg = await _settled(partial(js.get_msg, stream, seq))
        payloads.append(msg.data or b"")
    return payloads


async def _settled(read: Callable[[], Awaitable[T]]) -> T:
    """`read()`, asked again while JetStream answers "temporarily unavailable" (503), as it
    can for a moment after a node is lost: a bounded number of times, then its error."""
    for _ in range(_ATTEMPTS - 1):
        try:
            return await read()
        except ServiceUnavailableError:
            await asyncio.sleep(_PAUSE_S)
    return await read()
