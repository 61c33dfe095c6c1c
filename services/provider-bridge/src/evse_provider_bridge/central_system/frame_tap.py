"""The ChargePoint's connection: every frame in and out becomes an OCPP log, in order.

The session reads through `receive()` and the `ocpp` package writes through `send()`; this
wraps the WebSocket so each frame is logged (stamped by the charger's millisecond clock)
before it is handled or sent; an inbound frame is parsed once, for its log and its routing.
Results and errors carry no action on the wire: the tap remembers the action of each open
call so their logs name it. A CALLERROR sent also becomes an error log. A charger that
sends faster than `frames_per_minute` (bursts included) is closed with 1008, so one charger
cannot flood the log queue every charger shares (review M5).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import structlog
from aiolimiter import AsyncLimiter
from pydantic_core import PydanticSerializationError
from websockets.asyncio.server import ServerConnection

from evse_contracts.telemetry import ErrorLog

from ..telemetry_publisher import EncodedEvent, encode_event
from .event_queue import EventQueue
from .frames import Frame, MillisClock, frame_of, parse_json
from .log_events import ocpp_log_event

__all__ = ["FrameTap"]

Direction = Literal["inbound", "outbound"]
_MAX_OPEN_CALLS = 64
_POLICY_VIOLATION = 1008
log = structlog.get_logger("evse.bridge.ocpp")


class FrameTap:
    def __init__(
        self, ws: ServerConnection, *, evse_uid: str, events: EventQueue, frames_per_minute: int
    ) -> None:
        self.ws = ws
        self.evse_uid = evse_uid
        self.clock = MillisClock()
        self._events = events
        self._open: dict[Direction, dict[str, str]] = {"inbound": {}, "outbound": {}}
        self._inbound_rate = AsyncLimiter(frames_per_minute, 60)

    async def receive(self) -> tuple[str, Any]:
        """The next inbound frame, raw and parsed (None when it is not JSON), logged."""
        data = await self.ws.recv()
        while not self._inbound_rate.has_capacity():
            log.warning("ocpp frame rate exceeded", evse_uid=self.evse_uid)
            await self.ws.close(_POLICY_VIOLATION, "frame rate exceeded")
            data = await self.ws.recv()  # raises ConnectionClosed now
        await self._inbound_rate.acquire()
        raw = data if isinstance(data, str) else data.decode("utf-8", errors="replace")
        message = parse_json(raw)
        await self._record("inbound", raw, message)
        return raw, message

    async def send(self, raw: str) -> None:
        await self._record("outbound", raw, parse_json(raw))
        await self.ws.send(raw)

    async def _record(self, direction: Direction, raw: str, message: Any) -> None:
        frame = frame_of(message)
        at = self.clock.next()
        if frame is None:
            detail = f"unreadable frame: {raw[:500]}"
            await self._events.put(self._error(at, "FormationViolation", direction, detail))
            return
        action = self._action_of(direction, frame)
        try:
            event = ocpp_log_event(self.evse_uid, at, direction, frame, action)
        except PydanticSerializationError:  # a string JSON escapes but UTF-8 cannot hold
            event = self._error(
                at, "FormationViolation", direction, f"unencodable frame: {raw[:500]}"
            )
        await self._events.put(event)
        if frame.message_type_id == 4 and direction == "outbound":
            code = str(frame.payload.get("errorCode"))
            detail = (
                f"{action or 'frame'} {frame.unique_id}: {frame.payload.get('errorDescription')}"
            )
            await self._events.put(self._error(self.clock.next(), code, direction, detail))

    def _action_of(self, direction: Direction, frame: Frame) -> str | None:
        """A call's action; for a result or error, the action of the call it answers."""
        if frame.message_type_id == 2:
            calls = self._open[direction]
            if len(calls) >= _MAX_OPEN_CALLS:
                calls.pop(next(iter(calls)))
            calls[frame.unique_id] = frame.action or ""
            return frame.action
        answered = self._open["outbound" if direction == "inbound" else "inbound"]
        return answered.pop(frame.unique_id, None) or None

    def _error(self, at: datetime, code: str, direction: Direction, message: str) -> EncodedEvent:
        return encode_event(
            ErrorLog(
                evse_uid=self.evse_uid,
                sampled_at=at,
                provider="ocpp",
                vendor_api=f"ocpp.{direction}",
                error_code=code,
                message=message,
                retryable=False,
            )
        )
