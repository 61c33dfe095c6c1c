"""Telemetry events: status, command, error and OCPP logs, as published and as served.

One model per log kind serves both as the JetStream event and as the HTTP log item. Each is
keyed by `(evse_uid, <timestamp>)`; the timestamp is `sampled_at`, or `logged_at` for
command logs, at millisecond precision (what MongoDB stores). Publishers set `Nats-Msg-Id`
to `<kind>:<evse_uid>:<timestamp>` (see `message_id`) so JetStream drops a republished
event inside its duplicate window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field

from .base import Contract, to_utc

__all__ = [
    "COMMAND",
    "ERROR",
    "LOG_KINDS",
    "OCPP",
    "STATUS",
    "TELEMETRY_STREAM",
    "ChargerState",
    "CommandLog",
    "CommandResult",
    "ConnectionType",
    "ConnectivitySample",
    "ErrorLog",
    "LogKind",
    "LogTimestamp",
    "OcppLog",
    "PhaseReading",
    "StatusLog",
    "TelemetryEvent",
    "event_subject",
    "kind_of",
    "message_id",
    "timestamp_of",
    "to_utc_millis",
]


def to_utc_millis(value: datetime) -> datetime:
    """UTC, truncated to the millisecond: what MongoDB stores, so what the log key can be."""
    utc = to_utc(value)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


LogTimestamp = Annotated[AwareDatetime, AfterValidator(to_utc_millis)]
"""A log's key timestamp: any offset in, UTC millisecond precision stored and served."""

TELEMETRY_STREAM = "TELEMETRY"
LogKind = Literal["status", "command", "error", "ocpp"]
STATUS: LogKind = "status"
COMMAND: LogKind = "command"
ERROR: LogKind = "error"
OCPP: LogKind = "ocpp"
LOG_KINDS: tuple[LogKind, ...] = (STATUS, COMMAND, ERROR, OCPP)

ChargerState = Literal[
    "available",
    "preparing",
    "charging",
    "suspended_ev",
    "suspended_evse",
    "finishing",
    "faulted",
    "unavailable",
    "offline",
]
"""Normalised charger state, after OCPP 1.6 ChargePointStatus plus `offline`."""

ConnectionType = Literal["wifi", "cellular", "ethernet", "unknown"]
CommandResult = Literal["pending", "confirmed", "failed", "timeout"]


class PhaseReading(Contract):
    phase: Literal[1, 2, 3]
    current_a: float | None = None
    voltage_v: float | None = None
    power_w: float | None = None


class ConnectivitySample(Contract):
    """What a status report says about the charger's link, where the vendor tells."""

    connection_type: ConnectionType = "unknown"
    signal_strength_dbm: float | None = Field(None, le=0)
    iccid: str | None = Field(None, pattern=r"^\d{18,22}F?$")
    carrier: str | None = None
    data_used_bytes_month: int | None = Field(None, ge=0)
    firmware_version: str | None = None


class StatusLog(Contract):
    evse_uid: str
    sampled_at: LogTimestamp
    state: ChargerState
    online: bool
    plugged_in: bool
    power_w: float | None = Field(None, ge=0)
    session_energy_wh: float | None = Field(None, ge=0)
    lifetime_energy_wh: float | None = Field(None, ge=0)
    current_limit_a: float | None = Field(None, ge=0)
    phases: tuple[PhaseReading, ...] = ()
    temperature_c: float | None = None
    connectivity: ConnectivitySample | None = None
    source: Literal["poll", "webhook", "ocpp"] = "poll"


class CommandLog(Contract):
    evse_uid: str
    logged_at: LogTimestamp
    command_id: str
    command: str = Field(description="e.g. start_charging, stop_charging, set_current_limit")
    parameters: dict[str, str | int | float | bool | None] = {}
    source: str = Field("api", description="Who asked: api, schedule, vpp, ocpp.")
    result: CommandResult
    vendor_response_code: str | None = None
    latency_ms: float | None = Field(None, ge=0)
    detail: str | None = None


class ErrorLog(Contract):
    evse_uid: str
    sampled_at: LogTimestamp
    provider: str
    vendor_api: str = Field(description="The vendor endpoint family, e.g. `chargers.state`.")
    http_method: str | None = None
    http_status: int | None = None
    url_path: str | None = None
    error_code: str | None = None
    message: str
    retryable: bool


class OcppLog(Contract):
    evse_uid: str
    sampled_at: LogTimestamp
    direction: Literal["inbound", "outbound"]
    message_type_id: Literal[2, 3, 4] = Field(description="2 CALL, 3 CALLRESULT, 4 CALLERROR.")
    unique_id: str
    action: str | None = None
    payload: dict[str, Any] = {}
    ocpp_version: str = "1.6"


TelemetryEvent = StatusLog | CommandLog | ErrorLog | OcppLog
_KIND_OF: dict[type[Contract], LogKind] = {
    StatusLog: STATUS,
    CommandLog: COMMAND,
    ErrorLog: ERROR,
    OcppLog: OCPP,
}


def kind_of(event: TelemetryEvent) -> LogKind:
    return _KIND_OF[type(event)]


def timestamp_of(event: TelemetryEvent) -> str:
    """The event's key timestamp in ISO 8601 UTC with `Z`, as it appears on the wire."""
    when = event.logged_at if isinstance(event, CommandLog) else event.sampled_at
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_subject(event: TelemetryEvent) -> str:
    return f"telemetry.events.{kind_of(event)}.{event.evse_uid}"


def message_id(event: TelemetryEvent) -> str:
    return f"{kind_of(event)}:{event.evse_uid}:{timestamp_of(event)}"
