"""One connected charger: the `ocpp` package's ChargePoint with the central system's handlers.

Inbound calls update the charger's snapshot and become status logs; platform commands become
outbound calls whose outcome is a command log. Frames are logged by the `FrameTap` the
ChargePoint reads and writes through. Inbound calls are handled as the package's
`_handle_call` does, minus its per-frame costs: the frame is not parsed again, payloads are
checked by compiled schemas (`schemas.py`), keys converted through a cache, and no handler
signature is inspected (ours never take `call_unique_id`).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import math
import uuid
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from ocpp.charge_point import _raise_key_error, remove_nones, serialize_as_dict
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, MessageType, unpack
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    DataTransferStatus,
    RegistrationStatus,
)

from evse_contracts.bridge import CommandAccepted, SendCommand
from evse_contracts.ids import new_uid
from evse_contracts.telemetry import CommandResult

from ..events import command_log, command_parameters
from .calls import NoTransaction, command_result, ocpp_call
from .charger_state import ChargerSnapshot
from .event_queue import EventQueue
from .frame_tap import FrameTap
from .frames import MillisClock, parse_json
from .messages import message_of, to_camel_case, to_snake_case
from .schemas import validate_payload
from .store import OcppCharger, OcppStore

__all__ = ["ChargerSession", "SessionSettings"]

log = structlog.get_logger("evse.bridge.ocpp")
_FRAME_LOG = logging.getLogger("evse.bridge.ocpp.frames")
# The package logs every frame whole at INFO through the logger it is given; frames are OCPP
# log events already, so only its warnings and errors reach the service log.
_FRAME_LOG.setLevel(logging.WARNING)
_ACCEPTED = {"status": AuthorizationStatus.accepted}
_MAX_AWAITED = 64
"""Calls of ours whose answer may still come (one at a time, plus ones that timed out)."""


CAPABILITY_KEYS = (
    "SupportedFeatureProfiles",
    "ChargingScheduleAllowedChargingRateUnit",
    "MeterValuesSampledData",
)
"""OCPP 1.6J configuration keys (section 9.1) the smart-charging capabilities are read from."""


@dataclass(frozen=True)
class SessionSettings:
    heartbeat_interval_s: int
    response_timeout_s: float
    id_tag: str
    frames_per_minute: int
    """Inbound frames a charger may send per minute (its burst too); above, it is closed."""


class ChargerSession(ChargePoint):  # type: ignore[misc]
    def __init__(
        self,
        charger: OcppCharger,
        tap: FrameTap,
        *,
        store: OcppStore,
        events: EventQueue,
        settings: SessionSettings,
    ) -> None:
        super().__init__(
            charger.charge_point_id,
            tap,
            response_timeout=settings.response_timeout_s,
            logger=_FRAME_LOG,
        )
        self._unique_id_generator = self._new_call_id
        self._awaited: dict[str, None] = {}
        self._unsolicited = 0
        self.charger = charger
        self._recorded_boot = charger.boot
        self.snapshot = ChargerSnapshot()
        self._tap = tap
        self._store = store
        self._events = events
        self._settings = settings
        self._status_clock = MillisClock()
        self._command_clock = MillisClock()
        self._commands: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """The package's read loop, routing the frame the tap already parsed for its log."""
        while True:
            raw, message = await self._tap.receive()
            await self._route(raw, message)

    async def route_message(self, raw_msg: str) -> None:
        await self._route(raw_msg, parse_json(raw_msg))

    async def _route(self, raw: str, message: Any) -> None:
        """As the package does, but a frame that is not OCPP-J gets a CALLERROR too."""
        msg = message_of(message)
        if msg is None:
            try:
                msg = unpack(raw)  # the package's own error (or reading) of a malformed frame
            except OCPPError as error:
                description = error.description or "not an OCPP-J message"
                await self._send_error(_unique_id_of(raw), "FormationViolation", description, {})
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
                charge_point_id=self.charger.charge_point_id,
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

    async def publish_status(self, *, online: bool = True) -> None:
        at = self._status_clock.next()
        await self._events.put(self.snapshot.status_log(self.charger.evse_uid, at, online=online))

    @on(Action.boot_notification)
    async def on_boot(
        self, charge_point_vendor: str, charge_point_model: str, **details: Any
    ) -> Any:
        firmware = details.get("firmware_version")
        self.snapshot.firmware_version = firmware
        boot = {"vendor": charge_point_vendor, "model": charge_point_model}
        if firmware is not None:
            boot["firmware_version"] = firmware
        if boot != self._recorded_boot:  # a reconnection storm boots the same chargers again
            # Written beside the answer, not before it: a charger's boot should not wait
            # for the database (finish_commands waits for the write on shutdown).
            self._in_background(self._store.record_boot(self.charger.charge_point_id, boot))
            self._recorded_boot = boot
        await self.publish_status()
        return call_result.BootNotification(
            current_time=_now_iso(),
            interval=self._settings.heartbeat_interval_s,
            status=RegistrationStatus.accepted,
        )

    @after(Action.boot_notification)
    def after_boot(self, **_: Any) -> None:
        """Ask for the keys our capabilities rest on, once the boot is answered (in the
        background: this runs inside the loop that reads the charger's answer)."""
        self._in_background(self._read_configuration())

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._commands.add(task)
        task.add_done_callback(self._commands.discard)

    async def _read_configuration(self) -> None:
        try:
            response = await self.call(call.GetConfiguration(key=list(CAPABILITY_KEYS)))
        except (OCPPError, TimeoutError) as exc:
            log.warning(
                "no configuration", charge_point_id=self.charger.charge_point_id, error=str(exc)
            )
            return
        keys = {
            item["key"]: str(item.get("value", ""))[:500]
            for item in (response.configuration_key or [])[: len(CAPABILITY_KEYS)]
            if isinstance(item, dict) and item.get("key") in CAPABILITY_KEYS
        }
        await self._store.record_configuration(
            self.charger.charge_point_id, keys, datetime.now(UTC)
        )

    @on(Action.heartbeat)
    def on_heartbeat(self) -> Any:
        return call_result.Heartbeat(current_time=_now_iso())

    @on(Action.status_notification)
    async def on_status(self, connector_id: int, error_code: str, status: str, **_: Any) -> Any:
        self.snapshot.apply_status(connector_id, status)
        await self.publish_status()
        return call_result.StatusNotification()

    @on(Action.meter_values)
    async def on_meter_values(
        self, connector_id: int, meter_value: list[Mapping[str, Any]], **_: Any
    ) -> Any:
        self.snapshot.apply_meter_values(meter_value)
        await self.publish_status()
        return call_result.MeterValues()

    @on(Action.authorize)
    def on_authorize(self, id_tag: str) -> Any:
        return call_result.Authorize(id_tag_info=_ACCEPTED)

    @on(Action.start_transaction)
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> Any:
        transaction_id = await self._store.next_transaction_id()
        self.snapshot.start_transaction(transaction_id, float(meter_start))
        await self.publish_status()
        return call_result.StartTransaction(transaction_id=transaction_id, id_tag_info=_ACCEPTED)

    @on(Action.stop_transaction)
    async def on_stop_transaction(
        self, meter_stop: int, timestamp: str, transaction_id: int, **_: Any
    ) -> Any:
        self.snapshot.stop_transaction(float(meter_stop))
        await self.publish_status()
        return call_result.StopTransaction(id_tag_info=_ACCEPTED)

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> Any:
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    async def command(self, request: SendCommand) -> CommandAccepted:
        """Log the command as pending, send it in the background, log how the charger answered."""
        command_id = new_uid("cmd")
        started = datetime.now(UTC)
        await self._log_command(request, command_id, "pending", started)
        self._in_background(self._send_command(request, command_id, started))
        return CommandAccepted(
            command_id=command_id,
            evse_uid=self.charger.evse_uid,
            command=request.command,
            state="pending",
        )

    async def _send_command(self, request: SendCommand, command_id: str, started: datetime) -> None:
        code: str | None = None
        detail: str | None = None
        result: CommandResult
        try:
            payload = ocpp_call(
                request, transaction_id=self.snapshot.transaction_id, id_tag=self._settings.id_tag
            )
            response = await self.call(payload, suppress=False)
            code = str(getattr(response, "status", ""))
            result = command_result(code)
        except NoTransaction:
            result, detail = "failed", "the charger reports no transaction to stop"
        except OCPPError as error:
            result, code, detail = "failed", error.code, error.description
        except TimeoutError:
            result = "timed_out"
        if result == "confirmed" and request.command == "set_current_limit":
            self.snapshot.current_limit_a = request.current_limit_a
        await self._log_command(request, command_id, result, started, code=code, detail=detail)

    async def _log_command(
        self,
        request: SendCommand,
        command_id: str,
        result: CommandResult,
        started: datetime,
        *,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        parameters = command_parameters(
            current_limit_a=request.current_limit_a,
            available=request.available,
            charge_plan=request.charge_plan,
        )
        event = command_log(
            evse_uid=self.charger.evse_uid,
            command_id=command_id,
            command=request.command,
            parameters=parameters,
            source=request.source,
            result=result,
            started=started,
            at=self._command_clock.next(),
            vendor_response_code=code or None,
            detail=detail,
        )
        await self._events.put(event)
        log.info("command", command_id=command_id, evse_uid=self.charger.evse_uid, result=result)

    async def finish_commands(self, timeout_s: float) -> None:
        if self._commands:
            _, pending = await asyncio.wait(set(self._commands), timeout=timeout_s)
            for task in pending:
                task.cancel()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _unique_id_of(raw: str) -> str:
    """The unique id of a frame that failed to parse, when it has a readable one."""
    try:
        message = json.loads(raw)
    except ValueError:
        return "-1"
    if isinstance(message, list) and len(message) > 1 and isinstance(message[1], str):
        return message[1]
    return "-1"
