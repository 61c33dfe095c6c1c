"""Build the telemetry events the bridge publishes from adapter results (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from evse_contracts.telemetry import (
    CommandLog,
    CommandResult,
    ConnectivitySample,
    ErrorLog,
    StatusLog,
)

from .adapters.base import Command, DeviceStatus
from .adapters.errors import VendorError

__all__ = ["command_log", "error_log", "status_log"]


def status_log(
    evse_uid: str, status: DeviceStatus, *, source: Literal["poll", "webhook"], at: datetime
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
        power_w=status.power_w,
        session_energy_wh=status.session_energy_wh,
        lifetime_energy_wh=status.lifetime_energy_wh,
        current_limit_a=status.current_limit_a,
        temperature_c=status.temperature_c,
        connectivity=connectivity,
        source=source,
    )


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


def command_log(
    *,
    evse_uid: str,
    command_id: str,
    command: Command,
    source: str,
    result: CommandResult,
    started: datetime,
    at: datetime,
    vendor_response_code: str | None = None,
    detail: str | None = None,
) -> CommandLog:
    parameters: dict[str, str | int | float | bool | None] = (
        {} if command.current_limit_a is None else {"current_limit_a": command.current_limit_a}
    )
    return CommandLog(
        evse_uid=evse_uid,
        logged_at=at,
        command_id=command_id,
        command=command.name,
        parameters=parameters,
        source=source,
        result=result,
        vendor_response_code=vendor_response_code,
        latency_ms=max(0.0, (at - started).total_seconds() * 1000),
        detail=detail,
    )
