"""One connected charger: the central system's handlers on the `OcppEndpoint` (`endpoint.py`).

Inbound calls update the charger's snapshot and become status logs; platform commands become
outbound calls whose outcome is a command log. Frames are logged by the `FrameTap` the
ChargePoint reads and writes through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from ocpp.exceptions import OCPPError
from ocpp.routing import after, on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    DataTransferStatus,
    RegistrationStatus,
)

from evse_contracts.bridge import CommandAccepted, SendCommand
from evse_contracts.ids import new_uid
from evse_contracts.telemetry import CommandResult

from ..clock import Clock, utc_now
from ..events import command_log, command_parameters
from ..telemetry_publisher import encode_event
from .calls import NoTransaction, command_result, ocpp_call
from .charger_state import ChargerSnapshot
from .endpoint import OcppEndpoint
from .event_queue import EventQueue
from .frame_tap import FrameTap
from .frames import MillisClock
from .store import OcppCharger, OcppStore

__all__ = ["ChargerSession", "SessionSettings"]

log = structlog.get_logger("evse.bridge.ocpp")
_ACCEPTED = {"status": AuthorizationStatus.accepted}


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


class ChargerSession(OcppEndpoint):
    def __init__(
        self,
        charger: OcppCharger,
        tap: FrameTap,
        *,
        store: OcppStore,
        events: EventQueue,
        settings: SessionSettings,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(
            charger.charge_point_id, tap, response_timeout_s=settings.response_timeout_s
        )
        self.charger = charger
        self._recorded_boot = charger.boot
        self._unrecorded_boot: Mapping[str, str] | None = None
        """A boot that said something new, written with the configuration it leads to."""
        self.snapshot = ChargerSnapshot()
        self._store = store
        self._events = events
        self._settings = settings
        self._clock = clock
        self._status_clock = MillisClock(clock)
        self._command_clock = MillisClock(clock)
        self._commands: set[asyncio.Task[None]] = set()

    async def publish_status(self, *, online: bool = True) -> None:
        at = self._status_clock.next()
        await self._events.put(self.snapshot.status_event(self.charger.evse_uid, at, online=online))

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
            # Not written before the answer (a charger's boot should not wait for the
            # database) but with the configuration the answer asks for: one write per boot.
            self._unrecorded_boot = self._recorded_boot = boot
        await self.publish_status()
        return call_result.BootNotification(
            current_time=self._now_iso(),
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
        """Ask for the capability keys; store them with the boot not written yet (the boot
        alone when the charger does not answer)."""
        cp_id = self.charger.charge_point_id
        boot, self._unrecorded_boot = self._unrecorded_boot, None
        try:
            request = call.GetConfiguration(key=list(CAPABILITY_KEYS))
            response = await self.call(request, suppress=False)  # a CALLERROR raises
        except (OCPPError, TimeoutError) as exc:
            log.warning("no configuration", charge_point_id=cp_id, error=str(exc))
            if boot is not None:
                await self._store.record_boot(cp_id, boot)
            return
        keys = {
            item["key"]: str(item.get("value", ""))[:500]
            for item in (response.configuration_key or [])[: len(CAPABILITY_KEYS)]
            if isinstance(item, dict) and item.get("key") in CAPABILITY_KEYS
        }
        await self._store.record_configuration(cp_id, keys, self._clock(), boot=boot)

    @on(Action.heartbeat)
    def on_heartbeat(self) -> Any:
        return call_result.Heartbeat(current_time=self._now_iso())

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
        started = self._clock()
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
        await self._events.put(encode_event(event))
        log.info("command", command_id=command_id, evse_uid=self.charger.evse_uid, result=result)

    async def finish_commands(self, timeout_s: float) -> None:
        if self._commands:
            _, pending = await asyncio.wait(set(self._commands), timeout=timeout_s)
            for task in pending:
                task.cancel()

    def _now_iso(self) -> str:
        return self._clock().isoformat(timespec="milliseconds").replace("+00:00", "Z")
