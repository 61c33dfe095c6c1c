"""Telemetry events: status, command, error and OCPP logs, as published and as served.

One model per log kind serves both as the JetStream event and as the HTTP log item. Each is
keyed by `(evse_uid, <timestamp>)`; the timestamp is `sampled_at`, or `logged_at` for
command logs, at millisecond precision (what MongoDB stores). Publishers set `Nats-Msg-Id`
to `<kind>:<evse_uid>:<timestamp>` (see `message_id`, and `publish_event`, which does it)
so JetStream drops a republished event inside its duplicate window.

Also here: the query routes (`telemetry.query.<kind>_logs.list|get`,
`telemetry.query.connectivity.get`), the connectivity snapshot as served, and the
dead-letter headers telemetry sets on events it can never store.

Over 300 lines, kept whole: it is the telemetry service's one contract, mostly models. The
log models are at once the events and the served items, and the query routes are generated
per log kind from the same models; the little that is code (`message_id`, `publish_event`,
`parse_log_timestamp`) is what every publisher and the gateway must share so that ids and
timestamps agree. Splitting the queries off would be the next cut if it grows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
)

from .base import Contract, to_utc
from .bus import Route
from .pagination import Page, PageQuery
from .problems import FieldError, ValidationFailed

__all__ = [
    "COMMAND",
    "COMMAND_LOGS_GET",
    "COMMAND_LOGS_LIST",
    "CONNECTIVITY_GET",
    "ERROR",
    "ERROR_LOGS_GET",
    "ERROR_LOGS_LIST",
    "LOG_GET_ROUTES",
    "LOG_KINDS",
    "LOG_LIST_ROUTES",
    "MSG_ID_HEADER",
    "OCPP",
    "OCPP_LOGS_GET",
    "OCPP_LOGS_LIST",
    "STATUS",
    "STATUS_LOGS_GET",
    "STATUS_LOGS_LIST",
    "TELEMETRY_STREAM",
    "TELEMETRY_SUBJECTS",
    "ChargerState",
    "CommandLog",
    "CommandResult",
    "ConnectionType",
    "Connectivity",
    "ConnectivitySample",
    "ErrorLog",
    "Firmware",
    "GetConnectivity",
    "GetLog",
    "InvalidTimestamp",
    "JetStreamPublisher",
    "ListLogs",
    "LogKind",
    "LogTimestamp",
    "OcppLog",
    "PhaseReading",
    "Reliability",
    "SignalQuality",
    "SignalStrength",
    "SimCard",
    "StatusLog",
    "TelemetryEvent",
    "event_message",
    "event_subject",
    "iso_millis",
    "kind_of",
    "message_id",
    "message_id_of",
    "parse_log_timestamp",
    "publish_event",
    "subject_of",
    "timestamp_of",
    "to_utc_millis",
]


def to_utc_millis(value: datetime) -> datetime:
    """UTC, truncated to the millisecond: what MongoDB stores, so what the log key can be."""
    utc = to_utc(value)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def iso_millis(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


LogTimestamp = Annotated[
    AwareDatetime,
    AfterValidator(to_utc_millis),
    PlainSerializer(iso_millis, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
"""A log's key timestamp: any offset in, UTC millisecond precision stored and served.

Serialised as `2025-03-01T12:00:00.120Z` (always three digits), the very string a client
can put back in a log's URL."""

TELEMETRY_STREAM = "TELEMETRY"
TELEMETRY_SUBJECTS = "telemetry.events.>"
MSG_ID_HEADER = "Nats-Msg-Id"


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
CommandResult = Literal["pending", "confirmed", "failed", "cancelled", "timed_out"]
"""`pending` until the charger's state matches (`confirmed`), the integration refuses it
(`failed`), a newer command of the same kind replaces it (`cancelled`) or its deadline passes
(`timed_out`); vendor clouds and OCPP chargers alike."""


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

    @field_validator("result", mode="before")
    @classmethod
    def _renamed(cls, value: object) -> object:
        """Logs stored before 2026-11-29 say `timeout` for what is now `timed_out`."""
        return "timed_out" if value == "timeout" else value


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
    return iso_millis(event.logged_at if isinstance(event, CommandLog) else event.sampled_at)


def event_subject(event: TelemetryEvent) -> str:
    return subject_of(kind_of(event), event.evse_uid)


def subject_of(kind: LogKind, evse_uid: str) -> str:
    """The subject an EVSE's events of `kind` are published on."""
    return f"telemetry.events.{kind}.{evse_uid}"


def message_id(event: TelemetryEvent) -> str:
    return message_id_of(kind_of(event), event.evse_uid, timestamp_of(event))


def message_id_of(kind: LogKind, evse_uid: str, timestamp: str) -> str:
    """The `Nats-Msg-Id` of an event: one per kind, EVSE and wire timestamp (`timestamp_of`)."""
    return f"{kind}:{evse_uid}:{timestamp}"


class JetStreamPublisher(Protocol):
    """What `publish_event` needs of a JetStream context (`nats.js.JetStreamContext`)."""

    async def publish(
        self,
        subject: str,
        payload: bytes = b"",
        timeout: float | None = None,
        stream: str | None = None,
        headers: dict[str, Any] | None = None,
    ) -> Any: ...


async def publish_event(js: JetStreamPublisher, event: TelemetryEvent) -> None:
    """Publish `event` on its subject with `Nats-Msg-Id` set, awaiting the stream's ack.

    Publishing the same event again within the stream's duplicate window (a retry after a
    lost ack, a re-polled status) is dropped by JetStream; after it, telemetry's unique
    indexes drop it.
    """
    subject, payload, headers = event_message(event)
    await js.publish(subject, payload, stream=TELEMETRY_STREAM, headers=headers)


def event_message(event: TelemetryEvent) -> tuple[str, bytes, dict[str, str]]:
    """The subject, body and headers (`Nats-Msg-Id`) `event` is published with."""
    payload = event.__pydantic_serializer__.to_json(event)
    return event_subject(event), payload, {MSG_ID_HEADER: message_id(event)}


class InvalidTimestamp(ValidationFailed):
    slug = "invalid-timestamp"
    title = "Invalid timestamp"


def parse_log_timestamp(value: str, *, loc: str) -> datetime:
    """Parse an ISO 8601 instant from a URL: any offset (none means UTC), to UTC milliseconds."""
    try:
        # RFC 3339 allows a lower-case `t` and `z`; `fromisoformat` does not.
        parsed = datetime.fromisoformat(value.upper())
    except ValueError:
        reason = "is not an ISO 8601 date and time, e.g. 2025-03-01T12:00:00.000Z"
        raise InvalidTimestamp(
            f"{loc}: {value!r} {reason}",
            errors=(FieldError(loc=loc, msg=reason, type="datetime_parsing"),),
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return to_utc_millis(parsed)
    except ValueError:  # to_utc's out-of-range
        # Year 1 or 9999 shifted past the calendar's end: no log can be there, so the
        # nearest representable instant bounds a list (and finds nothing on a read).
        edge = datetime.min if parsed.year == datetime.min.year else datetime.max
        return to_utc_millis(edge.replace(tzinfo=UTC))


class ListLogs(PageQuery):
    """One EVSE's logs of one kind, newest first; `since`/`until` bound the key timestamp."""

    evse_id: str = Field(description="The EVSE uid or its legacy integer id.")
    since: LogTimestamp | None = None
    until: LogTimestamp | None = None


class GetLog(Contract):
    evse_id: str
    at: LogTimestamp


class GetConnectivity(Contract):
    evse_id: str


SignalQuality = Literal["excellent", "good", "fair", "poor"]


class SignalStrength(Contract):
    dbm: float
    quality: SignalQuality


class SimCard(Contract):
    iccid: str | None
    carrier: str | None
    data_used_bytes_month: int | None = Field(description="As last reported, this month.")


class Firmware(Contract):
    version: str | None
    newer_version_available: bool | None = Field(
        description="Whether the catalogue lists a newer production release for this model; "
        "null when unknown (version not reported, or the catalogue could not be asked)."
    )
    latest_version: str | None = None


class Reliability(Contract):
    online_ratio_24h: float | None = Field(
        description="Share of the last 24 h's status samples that were online; null if none."
    )
    online_ratio_7d: float | None
    last_seen_at: LogTimestamp | None = Field(description="Latest status sample reporting online.")
    disconnect_count_7d: int = Field(
        description="Online-to-offline transitions between status samples of the last 7 days."
    )


class Connectivity(Contract):
    evse_uid: str
    connection_type: ConnectionType
    signal_strength: SignalStrength | None
    sim: SimCard | None
    firmware: Firmware
    reliability: Reliability
    sampled_at: LogTimestamp | None = Field(description="Time of the latest status sample.")


def _log_routes(
    kind: str, model: type[Contract]
) -> tuple[Route[ListLogs, Page[Any]], Route[GetLog, Any]]:
    return (
        Route(f"telemetry.query.{kind}_logs.list", ListLogs, Page[model]),  # type: ignore[valid-type]
        Route(f"telemetry.query.{kind}_logs.get", GetLog, model),
    )


STATUS_LOGS_LIST, STATUS_LOGS_GET = _log_routes(STATUS, StatusLog)
COMMAND_LOGS_LIST, COMMAND_LOGS_GET = _log_routes(COMMAND, CommandLog)
ERROR_LOGS_LIST, ERROR_LOGS_GET = _log_routes(ERROR, ErrorLog)
OCPP_LOGS_LIST, OCPP_LOGS_GET = _log_routes(OCPP, OcppLog)
CONNECTIVITY_GET = Route("telemetry.query.connectivity.get", GetConnectivity, Connectivity)
LOG_LIST_ROUTES: dict[LogKind, Route[ListLogs, Page[Any]]] = {
    STATUS: STATUS_LOGS_LIST,
    COMMAND: COMMAND_LOGS_LIST,
    ERROR: ERROR_LOGS_LIST,
    OCPP: OCPP_LOGS_LIST,
}
LOG_GET_ROUTES: dict[LogKind, Route[GetLog, Any]] = {
    STATUS: STATUS_LOGS_GET,
    COMMAND: COMMAND_LOGS_GET,
    ERROR: ERROR_LOGS_GET,
    OCPP: OCPP_LOGS_GET,
}
