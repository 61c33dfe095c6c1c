"""Write a batch of log events: validate, bulk insert, ack only after the write.

Invalid events are dead-lettered and terminated without holding up the valid ones. A
duplicate key means the event is already stored (redelivery, republish): success. A store
that cannot be reached is retried with backoff while the batch is kept in hand (its messages
marked in progress, so they are not redelivered meanwhile); on shutdown they are nak'ed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError
from pymongo.errors import PyMongoError

from evse_contracts.base import Contract
from evse_contracts.telemetry import TELEMETRY_STREAM, LogKind
from evse_runtime.backoff import Backoff
from evse_runtime.consumers import dead_letter
from evse_runtime.pauses import pause

from .connectivity import fold
from .log_kinds import LOG_MODELS
from .store import TelemetryStore

__all__ = ["LogIngestor"]

log = structlog.get_logger("evse.telemetry")


def validate(kind: LogKind, msg: Msg) -> Contract | str:
    """The event in `msg`, or why it can never be stored."""
    try:
        event = LOG_MODELS[kind].model_validate_json(msg.data)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:5]
        )
        return f"invalid {kind} event: {errors}"
    evse_uid: str = getattr(event, "evse_uid")  # noqa: B009 - every log kind has it
    if not msg.subject.endswith(f".{evse_uid}"):
        return f"subject {msg.subject} does not name the event's EVSE {evse_uid}"
    return event


@dataclass
class LogIngestor:
    kind: LogKind
    js: JetStreamContext
    store: TelemetryStore
    stopping: asyncio.Event
    retry: Backoff
    _failures: int = field(default=0, init=False)

    async def handle(self, msgs: Sequence[Msg]) -> None:
        accepted: list[tuple[Msg, Any]] = []
        for msg in msgs:
            outcome = validate(self.kind, msg)
            if isinstance(outcome, str):
                await dead_letter(self.js, TELEMETRY_STREAM, msg, outcome)
            else:
                accepted.append((msg, outcome))
        if not accepted:
            return
        rejected = await self._write_until_done(accepted)
        if rejected is None:
            await asyncio.gather(*(msg.nak() for msg, _ in accepted))
            return
        for index, (msg, _) in enumerate(accepted):
            if index in rejected:
                await dead_letter(self.js, TELEMETRY_STREAM, msg, rejected[index])
            else:
                await msg.ack()

    async def _write_until_done(self, accepted: Sequence[tuple[Msg, Any]]) -> dict[int, str] | None:
        """Write the batch; the rejected by index, or None if stopping before it succeeded."""
        docs = [event.model_dump() for _, event in accepted]
        while True:
            try:
                rejected = await self.store.insert_logs(self.kind, docs)
                if self.kind == "status":
                    stored = [e for i, (_, e) in enumerate(accepted) if i not in rejected]
                    await self.store.merge_snapshots(fold(stored))
            except PyMongoError as exc:
                log.warning("store write failed", kind=self.kind, error=str(exc))
                if self.stopping.is_set():
                    return None
                await asyncio.gather(*(msg.in_progress() for msg, _ in accepted))
                self._failures += 1
                await pause(self.stopping, self.retry.delay(self._failures))
                continue
            self._failures = 0
            return rejected
