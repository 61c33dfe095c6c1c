"""Read OCPP-J frames for the log, and stamp them with a strictly increasing clock (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic_core import from_json

from evse_contracts.telemetry import to_utc_millis

from ..clock import Clock, utc_now

__all__ = ["Frame", "MillisClock", "escapes_lone_surrogate", "frame_of", "parse_json", "read_frame"]

MessageTypeId = Literal[2, 3, 4]
_ONE_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Frame:
    message_type_id: MessageTypeId
    unique_id: str
    action: str | None
    payload: dict[str, Any]


def read_frame(raw: str) -> Frame | None:
    """The frame's parts as logged, or None when it is not an OCPP-J message at all."""
    return frame_of(parse_json(raw))


def parse_json(raw: str) -> Any:
    """The frame's JSON value (None when it is not JSON, or nests too deep to read): parsed
    once, logged and routed.

    pydantic-core's parser reads a frame in under half the time of `json.loads`, to the same
    values. What it refuses (a lone surrogate escape, nesting deeper than 200, a byte-order
    mark) goes to `json.loads`, which decides as it always did.
    """
    try:
        return from_json(raw, allow_inf_nan=True)
    except ValueError:
        pass
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def escapes_lone_surrogate(raw: str, message: Any) -> bool:
    """Whether a string in the frame is a lone UTF-16 surrogate (`"\\ud800"`): valid JSON
    text that RFC 8259 (8.2) calls unpredictable, and that no UTF-8 log or store can hold.
    Only an escape can carry one (websockets decodes text frames as strict UTF-8), so most
    frames cost two substring searches."""
    if "\\ud" not in raw and "\\uD" not in raw:
        return False
    try:
        json.dumps(message, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return True
    return False


def frame_of(message: Any) -> Frame | None:
    """A parsed frame's parts as logged, or None when it is not an OCPP-J message."""
    if not isinstance(message, list) or len(message) < 3 or not isinstance(message[1], str):
        return None
    kind, unique_id = message[0], message[1]
    if kind == 2 and len(message) == 4 and isinstance(message[2], str):
        return Frame(2, unique_id, message[2], _as_payload(message[3]))
    if kind == 3 and len(message) == 3:
        return Frame(3, unique_id, None, _as_payload(message[2]))
    if kind == 4 and len(message) == 5:
        error = {
            "errorCode": message[2],
            "errorDescription": message[3],
            "errorDetails": message[4],
        }
        return Frame(4, unique_id, None, error)
    return None


def _as_payload(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}


class MillisClock:
    """UTC now at millisecond precision, never equal to or before the previous reading.

    Logs are keyed by (EVSE, millisecond): two frames in one millisecond would otherwise
    share a key and the second would be dropped as a duplicate.
    """

    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._last: datetime | None = None

    def next(self) -> datetime:
        now = to_utc_millis(self._clock())
        if self._last is not None and now <= self._last:
            now = self._last + _ONE_MS
        self._last = now
        return now
