"""What differs between the four log kinds: the model and the name of the key timestamp."""

from __future__ import annotations

from evse_contracts.base import Contract
from evse_contracts.telemetry import (
    COMMAND,
    CommandLog,
    ErrorLog,
    LogKind,
    OcppLog,
    StatusLog,
)

__all__ = ["LOG_MODELS", "time_field"]

LOG_MODELS: dict[LogKind, type[Contract]] = {
    "status": StatusLog,
    "command": CommandLog,
    "error": ErrorLog,
    "ocpp": OcppLog,
}


def time_field(kind: LogKind) -> str:
    """The field that, with `evse_uid`, identifies a log of this kind."""
    return "logged_at" if kind == COMMAND else "sampled_at"
