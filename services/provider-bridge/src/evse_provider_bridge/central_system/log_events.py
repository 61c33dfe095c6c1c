"""A socket's OCPP and status logs, encoded straight to the JSON they are published as (pure).

A MeterValues made three contract models (its OcppLog in and out, a StatusLog), each validated
(its timestamp re-truncated by a Python validator) and serialised (the timestamp formatted by
a Python serialiser, then again for the message id). Here each log is a dict of the model's
own fields, in its order, dumped by the serialiser the model uses (pydantic-core's, not
inf/NaN → null as the model writes them), its timestamp formatted once. The contract models stay
the schema: a reading no log can hold is left out as `events.status_log` leaves it out, and
`test_log_events.py` holds every fast output to the model's bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic_core import to_json

from evse_contracts.telemetry import (
    OCPP,
    STATUS,
    ConnectivitySample,
    LogKind,
    PhaseReading,
    StatusLog,
    iso_millis,
    message_id_of,
    subject_of,
)

from ..adapters.base import DeviceStatus
from ..events import loggable, status_log
from ..telemetry_publisher import EncodedEvent
from .frames import Frame

__all__ = ["Phases", "ocpp_log_event", "status_event", "status_model"]

Phases = Mapping[Literal[1, 2, 3], Mapping[str, float]]
"""Per phase, its readings by `PhaseReading` field (`current_a`, `voltage_v`)."""

_NO_PHASE = PhaseReading(phase=1).model_dump(mode="json")
_NO_CONNECTIVITY = ConnectivitySample().model_dump(mode="json")


def ocpp_log_event(
    evse_uid: str,
    at: datetime,
    direction: Literal["inbound", "outbound"],
    frame: Frame,
    action: str | None,
) -> EncodedEvent:
    """`encode_event(OcppLog(...))` for a frame `frame_of` read (`at` in UTC milliseconds)."""
    stamp = iso_millis(at)
    log = {
        "evse_uid": evse_uid,
        "sampled_at": stamp,
        "direction": direction,
        "message_type_id": frame.message_type_id,
        "unique_id": frame.unique_id,
        "action": action,
        "payload": frame.payload,
        "ocpp_version": "1.6",
    }
    return _encoded(OCPP, evse_uid, stamp, log)


def status_event(
    evse_uid: str, status: DeviceStatus, *, at: datetime, phases: Phases
) -> EncodedEvent:
    """`encode_event(status_model(...))` (`at` in UTC milliseconds)."""
    stamp = iso_millis(at)
    connectivity: dict[str, Any] | None = None
    if status.firmware_version is not None:
        connectivity = {**_NO_CONNECTIVITY, "firmware_version": status.firmware_version}
    log = {
        "evse_uid": evse_uid,
        "sampled_at": stamp,
        "state": status.state,
        "online": status.online,
        "plugged_in": status.plugged_in,
        "power_w": loggable(status.power_w),
        "session_energy_wh": loggable(status.session_energy_wh),
        "lifetime_energy_wh": loggable(status.lifetime_energy_wh),
        "current_limit_a": loggable(status.current_limit_a),
        "phases": [{**_NO_PHASE, "phase": phase, **phases[phase]} for phase in sorted(phases)],
        "temperature_c": status.temperature_c,
        "connectivity": connectivity,
        "source": "ocpp",
    }
    return _encoded(STATUS, evse_uid, stamp, log)


def status_model(evse_uid: str, status: DeviceStatus, *, at: datetime, phases: Phases) -> StatusLog:
    """The same status log through the contract model."""
    readings = (PhaseReading(phase=phase, **phases[phase]) for phase in sorted(phases))
    return status_log(evse_uid, status, source="ocpp", at=at, phases=readings)


def _encoded(kind: LogKind, evse_uid: str, stamp: str, log: dict[str, Any]) -> EncodedEvent:
    """The log's JSON as its model would write it (inf and NaN as null), on its subject."""
    return EncodedEvent(
        kind,
        evse_uid,
        subject_of(kind, evse_uid),
        to_json(log, inf_nan_mode="null"),
        message_id_of(kind, evse_uid, stamp),
    )
