"""Build the telemetry events the bridge publishes, from vendor clouds and OCPP chargers alike
(pure): the one place a status, command or error log is put together."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from evse_contracts.smart_charging import ChargePlan
from evse_contracts.telemetry import (
    CommandLog,
    CommandResult,
    ConnectivitySample,
    ErrorLog,
    PhaseReading,
    StatusLog,
)

from .adapters.base import DeviceStatus
from .adapters.errors import VendorError

__all__ = [
    "Parameters",
    "command_log",
    "command_parameters",
    "error_log",
    "loggable",
    "status_log",
]

Parameters = dict[str, str | int | float | bool | None]


def status_log(
    evse_uid: str,
    status: DeviceStatus,
    *,
    source: Literal["poll", "webhook", "ocpp"],
    at: datetime,
    phases: Iterable[PhaseReading] = (),
) -> StatusLog:
    connectivity = (
        None
        if status.firmware_version is None
        else ConnectivitySample(firmware_version=status.firmware_version)
    )
    return StatusLog(
        evse_uid=evse_uid,
        sampled_at=at,
        state=status.state,
        online=status.online,
        plugged_in=status.plugged_in,
        power_w=loggable(status.power_w),
        session_energy_wh=loggable(status.session_energy_wh),
        lifetime_energy_wh=loggable(status.lifetime_energy_wh),
        current_limit_a=loggable(status.current_limit_a),
        phases=tuple(phases),
        temperature_c=status.temperature_c,
        connectivity=connectivity,
        source=source,
    )


def loggable(reading: float | None) -> float | None:
    """A power, energy or limit reading a status log can hold (finite, not negative), else
    None. A meter may say -19493 Wh (OCPP's meterStart has no minimum) or NaN: the log then
    lacks that reading. Refused, it cost the whole log, and for an OCPP charger an
    InternalError answer to that call and to every call after it."""
    return reading if reading is not None and 0.0 <= reading < math.inf else None


def error_log(evse_uid: str, error: VendorError, *, at: datetime) -> ErrorLog:
    return ErrorLog(
        evse_uid=evse_uid,
        sampled_at=at,
        provider=error.provider,
        vendor_api=error.api,
        http_method=error.method,
        http_status=error.http_status,
        url_path=error.url_path,
        error_code=error.error_code,
        message=error.message,
        retryable=error.retryable,
    )


def command_parameters(
    *,
    current_limit_a: float | None = None,
    available: bool | None = None,
    charge_plan: ChargePlan | None = None,
) -> Parameters:
    """What a command log records of the arguments a command was given."""
    parameters: Parameters = {}
    if current_limit_a is not None:
        parameters["current_limit_a"] = current_limit_a
    if available is not None:
        parameters["available"] = available
    if charge_plan is not None:
        parameters["plan_intervals"] = len(charge_plan.intervals)
        parameters["departure_at"] = charge_plan.departure_at.isoformat()
    return parameters


def command_log(
    *,
    evse_uid: str,
    command_id: str,
    command: str,
    parameters: Parameters,
    source: str,
    result: CommandResult,
    started: datetime,
    at: datetime,
    vendor_response_code: str | None = None,
    detail: str | None = None,
) -> CommandLog:
    return CommandLog(
        evse_uid=evse_uid,
        logged_at=at,
        command_id=command_id,
        command=command,
        parameters=parameters,
        source=source,
        result=result,
        vendor_response_code=vendor_response_code,
        latency_ms=max(0.0, (at - started).total_seconds() * 1000),
        detail=detail,
    )
