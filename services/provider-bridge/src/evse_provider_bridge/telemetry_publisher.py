"""Publish telemetry events to the `TELEMETRY` stream, deduplicated by `Nats-Msg-Id`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import Header
from nats.js.errors import APIError, NoStreamResponseError

from evse_contracts.telemetry import (
    MSG_ID_HEADER,
    TELEMETRY_STREAM,
    LogKind,
    TelemetryEvent,
    event_message,
    kind_of,
    publish_event,
)

__all__ = ["EncodedEvent", "TelemetryPublisher", "encode_event"]

_ACK_TIMEOUT_S = 5.0
"""How long a batch waits for the stream's acks (nats-py's own default for a publish)."""
_NO_RESPONDERS = "503"


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    """A telemetry event as it is published: its subject, JSON body and `Nats-Msg-Id`.

    The OCPP socket logs build theirs without the pydantic model (`central_system/log_events`);
    any other event is `encode_event(model)`.
    """

    kind: LogKind
    evse_uid: str
    subject: str
    payload: bytes
    message_id: str


def encode_event(event: TelemetryEvent) -> EncodedEvent:
    subject, payload, headers = event_message(event)
    return EncodedEvent(kind_of(event), event.evse_uid, subject, payload, headers[MSG_ID_HEADER])


class TelemetryPublisher:
    def __init__(self, js: JetStreamContext, nc: NatsClient) -> None:
        self._js = js
        self._nc = nc
        self._inbox = ""
        self._acks: Subscription | None = None
        self._awaited: dict[str, asyncio.Future[None]] = {}
        self._sent = 0

    async def publish(self, event: TelemetryEvent) -> None:
        await publish_event(self._js, event)

    async def publish_all(
        self, events: Sequence[TelemetryEvent | EncodedEvent]
    ) -> list[BaseException | None]:
        """Publish the events in order, then wait for all their acks: what failed, per event.

        Each event names its own reply subject under one inbox this publisher listens on.
        nats-py's `publish_async` spent ~100 µs of CPU per event (a semaphore, a random token
        from the OS, a future with callbacks, every ack parsed into a `PubAck`), and the ocpp
        log path publishes two or three events per frame.
        """
        if self._acks is None:
            self._inbox = f"{self._nc.new_inbox()}."
            self._acks = await self._nc.subscribe(f"{self._inbox}*", cb=self._on_ack)
        loop = asyncio.get_running_loop()
        acks: list[asyncio.Future[None] | BaseException] = []
        tokens: list[str] = []
        for event in events:
            self._sent += 1
            token = str(self._sent)
            ack: asyncio.Future[None] = loop.create_future()
            self._awaited[token] = ack
            tokens.append(token)
            try:
                message = event if isinstance(event, EncodedEvent) else encode_event(event)
                headers = {
                    MSG_ID_HEADER: message.message_id,
                    Header.EXPECTED_STREAM: TELEMETRY_STREAM,
                }
                await self._nc.publish(
                    message.subject, message.payload, self._inbox + token, headers
                )
            except Exception as exc:  # not encoded or not written to the connection: report, go on
                ack.cancel()
                acks.append(exc)
            else:
                acks.append(ack)
        pending = [ack for ack in acks if isinstance(ack, asyncio.Future)]
        if pending:
            _, late = await asyncio.wait(pending, timeout=_ACK_TIMEOUT_S)
            for ack in late:
                ack.cancel()
        for token in tokens:
            self._awaited.pop(token, None)
        return [_failure(ack) for ack in acks]

    async def _on_ack(self, msg: Msg) -> None:
        ack = self._awaited.pop(msg.subject[len(self._inbox) :], None)
        if ack is None or ack.done():
            return
        if msg.headers and msg.headers.get(Header.STATUS) == _NO_RESPONDERS:
            ack.set_exception(NoStreamResponseError())
            return
        # A stored event's ack is {"stream": …, "seq": …}: only a refusal needs reading.
        error = json.loads(msg.data).get("error") if b'"error"' in msg.data else None
        if error is None:
            ack.set_result(None)
            return
        try:
            APIError.from_error(error)  # raises the refusal as nats-py's own error type
        except APIError as refused:
            ack.set_exception(refused)


def _failure(ack: asyncio.Future[None] | BaseException) -> BaseException | None:
    if isinstance(ack, BaseException):
        return ack
    if ack.cancelled():
        return TimeoutError(f"no ack from the stream within {_ACK_TIMEOUT_S} s")
    return ack.exception()
