"""Telemetry domain errors; each becomes a problem with a stable slug."""

from __future__ import annotations

from datetime import datetime

from evse_contracts.evses import EvseNotFound
from evse_contracts.problems import NotFound
from evse_contracts.telemetry import LogKind

__all__ = [
    "CommandLogNotFound",
    "ErrorLogNotFound",
    "EvseNotFound",
    "LogNotFound",
    "OcppLogNotFound",
    "StatusLogNotFound",
    "log_not_found",
]


class LogNotFound(NotFound):
    kind: LogKind

    def __init__(self, evse_id: str, at: datetime) -> None:
        when = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        super().__init__(f"EVSE {evse_id!r} has no {self.kind} log at {when}")


class StatusLogNotFound(LogNotFound):
    kind = "status"
    slug = "status-log-not-found"
    title = "Status log not found"


class CommandLogNotFound(LogNotFound):
    kind = "command"
    slug = "command-log-not-found"
    title = "Command log not found"


class ErrorLogNotFound(LogNotFound):
    kind = "error"
    slug = "error-log-not-found"
    title = "Error log not found"


class OcppLogNotFound(LogNotFound):
    kind = "ocpp"
    slug = "ocpp-log-not-found"
    title = "OCPP log not found"


_BY_KIND: dict[LogKind, type[LogNotFound]] = {
    cls.kind: cls
    for cls in (StatusLogNotFound, CommandLogNotFound, ErrorLogNotFound, OcppLogNotFound)
}


def log_not_found(kind: LogKind, evse_id: str, at: datetime) -> LogNotFound:
    return _BY_KIND[kind](evse_id, at)
