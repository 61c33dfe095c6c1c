"""The `ocpp` package's ChargePoint as the central system routes frames through it.

Inbound calls are handled as the package's `_handle_call` does, minus its per-frame costs: the
frame is not parsed again (the `FrameTap` parsed it for its log), payloads are checked by
compiled schemas (`schemas.py`), keys converted through a cache, and no handler signature is
inspected (ours never take `call_unique_id`). Answers are queued only for calls of ours; a frame
that is not OCPP-J gets a CALLERROR. The charger's own handlers are `session.py`'s.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import uuid
from typing import Any

import structlog
from ocpp.charge_point import _raise_key_error, remove_nones, serialize_as_dict
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, MessageType, unpack
from ocpp.v16 import ChargePoint

from .frame_tap import FrameTap
from .frames import escapes_lone_surrogate, parse_json
from .messages import message_of, to_camel_case, to_snake_case
from .schemas import validate_payload

__all__ = ["OcppEndpoint"]

log = structlog.get_logger("evse.bridge.ocpp")
_FRAME_LOG = logging.getLogger("evse.bridge.ocpp.frames")
# The package logs every frame whole at INFO through the logger it is given; frames are OCPP
# log events already, so only its warnings and errors reach the service log.
_FRAME_LOG.setLevel(logging.WARNING)
_MAX_AWAITED = 64
"""Calls of ours whose answer may still come (one at a time, plus ones that timed out)."""


class OcppEndpoint(ChargePoint):  # type: ignore[misc]
    def __init__(self, charge_point_id: str, tap: FrameTap, *, response_timeout_s: float) -> None:
        super().__init__(
            charge_point_id, tap, response_timeout=response_timeout_s, logger=_FRAME_LOG
        )
        self._unique_id_generator = self._new_call_id
        self._awaited: dict[str, None] = {}
        self._unsolicited = 0
        self._tap = tap

    async def start(self) -> None:
        """The package's read loop, routing the frame the tap already parsed for its log."""
        while True:
            raw, message = await self._tap.receive()
            await self._route(raw, message)

    async def route_message(self, raw_msg: str) -> None:
        await self._route(raw_msg, parse_json(raw_msg))

    async def _route(self, raw: str, message: Any) -> None:
        """As the package does, but a frame that is not OCPP-J gets a CALLERROR too."""
        if escapes_lone_surrogate(raw, message):
            description = "a string escapes a lone UTF-16 surrogate"
            await self._send_error(_unique_id_of(raw), "FormationViolation", description, {})
            return
        msg = message_of(message)
        if msg is None:
            try:
                msg = unpack(raw)  # the package's own error (or reading) of a malformed frame
            except OCPPError as error:
                description = error.description or "not an OCPP-J message"
                await self._send_error(_unique_id_of(raw), "FormationViolation", description, {})
                return
            except RecursionError:
                description = "nested too deeply to read"
                await self._send_error("-1", "FormationViolation", description, {})
                return
        if msg.message_type_id == MessageType.Call:
            await self._answer(msg)
        elif msg.unique_id in self._awaited:
            del self._awaited[msg.unique_id]
            self._response_queue.put_nowait(msg)
        else:
            self._drop_unsolicited(msg.unique_id)

    async def _handle_call(self, msg: Call) -> None:
        """The package's `_handle_call` for our handlers: validate, answer, then `@after`."""
        handlers = self.route_map.get(msg.action, {})
        if "_on_action" not in handlers:
            _raise_key_error(msg.action, self._ocpp_version)
            return
        await validate_payload(msg)
        payload = to_snake_case(msg.payload)
        try:
            response = handlers["_on_action"](**payload)
            if inspect.isawaitable(response):
                response = await response
        except Exception as error:
            self.logger.exception("Error while handling request '%s'", msg)
            await self._send(msg.create_call_error(error).to_json())
            return
        result = msg.create_call_result(to_camel_case(remove_nones(serialize_as_dict(response))))
        await validate_payload(result)
        await self._send(result.to_json())
        after = handlers.get("_after_action")
        if after is not None:
            done = after(**payload)
            if inspect.isawaitable(done):
                asyncio.ensure_future(done)

    def _new_call_id(self) -> str:
        """The package names its calls with this; only their answers are queued for it."""
        call_id = str(uuid.uuid4())
        if len(self._awaited) >= _MAX_AWAITED:
            self._awaited.pop(next(iter(self._awaited)))
        self._awaited[call_id] = None
        return call_id

    def _drop_unsolicited(self, unique_id: str) -> None:
        """An answer to no call of ours: dropped, not queued for the life of the socket
        (review M5); logged at the 1st, 10th, 100th… of the connection."""
        self._unsolicited += 1
        if math.log10(self._unsolicited).is_integer():
            log.warning(
                "unsolicited ocpp answers dropped",
                charge_point_id=self.id,
                unique_id=unique_id[:64],
                count=self._unsolicited,
            )

    async def _answer(self, msg: Call) -> None:
        try:
            await self._handle_call(msg)
        except OCPPError as error:
            # The package's details may hold the offending message object: send only the cause.
            cause = (error.details or {}).get("cause")
            details = {} if cause is None else {"cause": str(cause)}
            await self._send_error(msg.unique_id, error.code, error.description, details)

    async def _send_error(
        self, unique_id: str, code: str, description: str, details: dict[str, str]
    ) -> None:
        await self._send(CallError(unique_id, code, description, details).to_json())


def _unique_id_of(raw: str) -> str:
    """The unique id of a frame that failed to parse, when it has a readable one."""
    message = parse_json(raw)
    if isinstance(message, list) and len(message) > 1 and isinstance(message[1], str):
        return message[1]
    return "-1"
