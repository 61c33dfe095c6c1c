"""Publish messages to a JetStream stream in fast-ingest batches: one ack per batch, not per
message.

nats-server 2.14+ stores each message of a *fast batch* (ADR-50) as it arrives and acks the
batch, not the message: a flow ack says every message up to a batch sequence is stored, and the
commit's PubAck says how many were. Reading a PubAck per message was half the CPU of publishing
the bridge's OCPP logs. The stream needs `allow_batched`.

As nats-server reads it, a message's reply subject carries the batch:
`<inbox>.<batch id>.<flow>.fail.<batch seq>.<op>.$FI`. Op 0 opens the batch, 1 adds to it, 2
adds its last message and commits it, 3 commits it with an empty message that is not stored.
Gaps `fail`: the batch ends at the first message the stream refuses, and the PubAck's `count`
is how many before it were stored.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import (
    BadHeaderError,
    BadSubjectError,
    ConnectionClosedError,
    ConnectionDrainingError,
    MaxPayloadError,
    OutboundBufferLimitError,
)
from nats.js.api import Header
from nats.js.errors import APIError, NoStreamResponseError

__all__ = ["BatchEnded", "FastIngest", "Outgoing"]

_FLOW = 500
"""Messages per flow ack asked for: the server's ceiling, so a batch of up to 500 is acked once."""
_OPEN, _ADD, _COMMIT, _END = 0, 1, 2, 3
_NO_RESPONDERS = "503"
_BATCH_ERRORS = frozenset({10205, 10206, 10207, 10208, 10211})
"""nats-server's refusals of a batch rather than of a message: batching disabled, pattern or
id invalid, id unknown (a new leader, or the batch timed out), too many batches in flight."""
_SPACE = re.compile(r"[ \t\r\n]")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_NEWLINES = str.maketrans({"\r": " ", "\n": " "})


class BatchEnded(Exception):
    """The batch ended before this message with no reason given for it (a leader change, a
    stream that went away): it is not known to be stored."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    subject: str
    payload: bytes
    headers: dict[str, str]


@dataclass(slots=True)
class _Batch:
    """What the stream has said of one batch so far."""

    ended: asyncio.Future[None]
    stored: int = 0
    """Every message up to this batch sequence is stored."""
    errors: dict[int, BaseException] = field(default_factory=dict)
    """Refusals by batch sequence (one past the last written: the batch's own)."""

    @property
    def answered(self) -> bool:
        return self.ended.done() and not self.ended.cancelled()


class FastIngest:
    def __init__(self, nc: NatsClient, *, ack_timeout_s: float = 5.0) -> None:
        self._nc = nc
        self._ack_timeout_s = ack_timeout_s
        self._inbox = nc.new_inbox()
        self._replies: Subscription | None = None
        self._subscribing = asyncio.Lock()
        self._batches: dict[str, _Batch] = {}
        self._numbers = itertools.count(1)

    async def publish(self, messages: Sequence[Outgoing]) -> list[BaseException | None]:
        """Publish `messages` in order: for each, None once stored (a duplicate `Nats-Msg-Id`
        counts as stored), else why not.

        A batch ends at the first message the stream refuses: that one fails, the rest go
        again in a new batch. When it ends short for a reason of the batch's own (a leader
        change), the rest go again if it stored any (`Nats-Msg-Id` drops those it had stored
        after all), else they fail with that reason, as they do when it does not answer.
        """
        outcomes: list[BaseException | None] = [None] * len(messages)
        pending = list(range(len(messages)))
        while pending:
            written, batch = await self._send(messages, pending, outcomes)
            unstored = written[batch.stored :]
            if not unstored:
                break
            refusal = batch.errors.get(batch.stored + 1)
            if batch.answered and _refused_alone(refusal):
                outcomes[unstored[0]] = refusal
                pending = unstored[1:]
            elif batch.answered and batch.stored:
                pending = unstored
            else:
                reason = batch.errors[min(batch.errors)] if batch.errors else BatchEnded()
                for index in unstored:
                    outcomes[index] = reason
                break
        return outcomes

    async def _send(
        self, messages: Sequence[Outgoing], pending: list[int], outcomes: list[BaseException | None]
    ) -> tuple[list[int], _Batch]:
        """One batch of the `pending` messages: those written, in batch order, and the batch
        once ended. A message that could not be written gets its error in `outcomes`."""
        async with self._subscribing:  # once, whoever publishes first
            if self._replies is None:
                self._replies = await self._nc.subscribe(f"{self._inbox}.>", cb=self._on_reply)
        batch_id = f"{self._inbox.rsplit('.', 1)[-1]}{next(self._numbers)}"
        prefix = f"{self._inbox}.{batch_id}.{_FLOW}.fail."
        batch = _Batch(asyncio.get_running_loop().create_future())
        self._batches[batch_id] = batch
        written: list[int] = []
        commands: list[bytes] = []
        try:
            for index in pending:
                message = messages[index]
                op = _COMMIT if index == pending[-1] else _ADD if written else _OPEN
                reply = f"{prefix}{len(written) + 1}.{op}.$FI"
                try:
                    commands.append(self._encoded(message, reply))
                except Exception as exc:  # not written: this message's failure, go on
                    outcomes[index] = exc
                    continue
                written.append(index)
            if not written:
                return written, batch
            if written[-1] != pending[-1]:  # the last one was not written: end it empty
                end = f"{prefix}{len(written) + 1}.{_END}.$FI"
                commands.append(_command(messages[written[-1]].subject, end, None, b""))
            try:
                await _write(self._nc, b"".join(commands))
            except Exception as exc:  # closed or draining: none of it was written
                for index in written:
                    outcomes[index] = exc
                return [], batch
            try:
                await asyncio.wait_for(batch.ended, self._ack_timeout_s)
            except Exception as exc:  # not ended, or no answer: stored is what was acked
                batch.errors.setdefault(len(written) + 1, exc)
            return written, batch
        finally:
            del self._batches[batch_id]

    def _encoded(self, message: Outgoing, reply: str) -> bytes:
        if len(message.payload) > self._nc.max_payload:
            raise MaxPayloadError
        return _command(message.subject, reply, message.headers, message.payload)

    async def _on_reply(self, msg: Msg) -> None:
        tokens = msg.subject[len(self._inbox) + 1 :].split(".")
        batch = self._batches.get(tokens[0]) if len(tokens) == 6 else None
        if batch is None or batch.ended.done():
            return
        sequence, op = int(tokens[3]), int(tokens[4])
        if msg.headers and msg.headers.get(Header.STATUS) == _NO_RESPONDERS:
            error: BaseException | None = NoStreamResponseError()
            reply: dict[str, Any] = {}
        else:
            reply = json.loads(msg.data)
            error = _refusal(reply.get("error"))
        kind = reply.get("type")
        if kind == "ack":
            batch.stored = max(batch.stored, int(reply["seq"]))
        elif kind == "err":
            batch.errors.setdefault(int(reply["seq"]), error or BatchEnded())
        elif kind is None and error is None:  # the PubAck: the batch ended, `count` stored
            batch.stored = max(batch.stored, int(reply.get("count", 0)))
            batch.ended.set_result(None)
        elif kind is None and error is not None:
            batch.errors.setdefault(sequence, error)
            if op in (_COMMIT, _END):
                batch.ended.set_result(None)


def _command(subject: str, reply: str, headers: Mapping[str, str] | None, payload: bytes) -> bytes:
    """The protocol command nats-py's `publish` writes for this message (`PUB`, or `HPUB` with
    headers), with its refusals: whitespace in the subject or reply (a CR or LF there would end
    the command and inject another), a header name outside the token characters; CR and LF in
    a header value become spaces, as nats-py makes them."""
    if not subject or _SPACE.search(subject) or _SPACE.search(reply):
        raise BadSubjectError
    if not headers:
        return b"PUB %s %s %d\r\n%s\r\n" % (subject.encode(), reply.encode(), len(payload), payload)
    head = [b"NATS/1.0\r\n"]
    for name, value in headers.items():
        line = _header_line(name)
        if line:
            value = value.strip()
            if "\r" in value or "\n" in value:
                value = value.translate(_NEWLINES)
            head += (line, value.encode(), b"\r\n")
    head.append(b"\r\n")
    block = b"".join(head)
    size = len(block) + len(payload)
    return b"HPUB %s %s %d %d\r\n%s%s\r\n" % (
        subject.encode(),
        reply.encode(),
        len(block),
        size,
        block,
        payload,
    )


@lru_cache(maxsize=64)
def _header_line(name: str) -> bytes:
    """`name: ` as written, checked once per name (a batch repeats the same few); empty for a
    blank name, which nats-py skips."""
    name = name.strip()
    if name and not _HEADER_NAME.fullmatch(name):
        raise BadHeaderError(name)
    return f"{name}: ".encode() if name else b""


async def _write(nc: NatsClient, commands: bytes) -> None:
    """Queue a batch's commands on nats-py's outgoing buffer in one piece and wake its flusher,
    as its `publish` does for one message (nats-py 2.16's `_send_command`, `_flush_pending`,
    `_flush_queue` and `_max_pending_size`: the only use of its internals here). Its `publish`
    validated and formatted each message through two coroutines: a batch of the bridge's logs
    cost ~23 µs of CPU per message, ~13 µs written this way. `tests/integration/test_fast_ingest.py`
    holds it to a real nats-server.
    """
    if nc.is_closed:
        raise ConnectionClosedError
    if nc.is_draining_pubs:
        raise ConnectionDrainingError
    if not nc.is_connected and len(commands) + nc.pending_data_size > nc._max_pending_size:
        raise OutboundBufferLimitError  # reconnecting: nats-py holds what fits its buffer
    await nc._send_command(commands)
    if nc._flush_queue is not None and nc._flush_queue.empty():
        await nc._flush_pending()


def _refused_alone(error: BaseException | None) -> bool:
    """Whether the stream refused this one message, not its batch (a leader change, a limit)."""
    return isinstance(error, APIError) and error.err_code not in _BATCH_ERRORS


def _refusal(error: object) -> BaseException | None:
    if not isinstance(error, dict):
        return None
    try:
        APIError.from_error(error)  # raises the refusal as nats-py's own error type
    except APIError as refused:
        return refused
    return APIError()
