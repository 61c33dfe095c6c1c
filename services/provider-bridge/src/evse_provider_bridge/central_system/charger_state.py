"""What a connected charger told us so far, as the platform's status log (pure).

OCPP 1.6 ChargePointStatus maps one to one onto the normalised `ChargerState` (`Reserved`
becomes `unavailable`: nobody else can use it). One EVSE is one charger: connector 0's
status counts only when it says the whole charger is `Unavailable` or `Faulted`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from evse_contracts.telemetry import ChargerState, StatusLog

from ..adapters.base import DeviceStatus
from ..telemetry_publisher import EncodedEvent
from .log_events import status_event, status_model

__all__ = ["ChargerSnapshot", "normalised_state"]

_STATES: dict[str, ChargerState] = {
    "Available": "available",
    "Preparing": "preparing",
    "Charging": "charging",
    "SuspendedEV": "suspended_ev",
    "SuspendedEVSE": "suspended_evse",
    "Finishing": "finishing",
    "Reserved": "unavailable",
    "Unavailable": "unavailable",
    "Faulted": "faulted",
}
_PLUGGED: frozenset[ChargerState] = frozenset(
    {"preparing", "charging", "suspended_ev", "suspended_evse", "finishing"}
)
_PHASES: dict[str, Literal[1, 2, 3]] = {"L1": 1, "L2": 2, "L3": 3, "L1-N": 1, "L2-N": 2, "L3-N": 3}
_SCALE = {"Wh": 1.0, "kWh": 1000.0, "W": 1.0, "kW": 1000.0}


def normalised_state(status: str) -> ChargerState:
    return _STATES.get(status, "unavailable")


@dataclass
class ChargerSnapshot:
    state: ChargerState = "available"
    firmware_version: str | None = None
    power_w: float | None = None
    lifetime_energy_wh: float | None = None
    session_start_wh: float | None = None
    session_energy_wh: float | None = None
    current_limit_a: float | None = None
    temperature_c: float | None = None
    transaction_id: int | None = None
    phases: dict[Literal[1, 2, 3], dict[str, float]] = field(default_factory=dict)
    """Per phase, its readings by `PhaseReading` field."""

    def apply_status(self, connector_id: int, status: str) -> None:
        state = normalised_state(status)
        if connector_id != 0 or state in ("unavailable", "faulted"):
            self.state = state

    def start_transaction(self, transaction_id: int, meter_start_wh: float) -> None:
        self.transaction_id = transaction_id
        self.session_start_wh = meter_start_wh
        self.session_energy_wh = 0.0
        self.lifetime_energy_wh = meter_start_wh

    def stop_transaction(self, meter_stop_wh: float) -> None:
        if self.session_start_wh is not None:
            self.session_energy_wh = max(0.0, meter_stop_wh - self.session_start_wh)
        self.lifetime_energy_wh = meter_stop_wh
        self.transaction_id = None
        self.session_start_wh = None
        self.power_w = 0.0

    def apply_meter_values(self, meter_values: Iterable[Mapping[str, Any]]) -> None:
        """Fold MeterValues' sampled values (snake_case keys, as the `ocpp` package gives)."""
        for meter_value in meter_values:
            for sample in meter_value.get("sampled_value", ()):
                self._apply_sample(sample)

    def _apply_sample(self, sample: Mapping[str, Any]) -> None:
        try:
            value = float(sample["value"])
        except (KeyError, TypeError, ValueError):
            return
        measurand = sample.get("measurand", "Energy.Active.Import.Register")
        scaled = value * _SCALE.get(sample.get("unit", "Wh"), 1.0)
        phase = _PHASES.get(sample.get("phase", ""))
        if measurand == "Energy.Active.Import.Register":
            self.lifetime_energy_wh = scaled
            if self.session_start_wh is not None:
                self.session_energy_wh = max(0.0, scaled - self.session_start_wh)
        elif measurand == "Power.Active.Import" and phase is None:
            self.power_w = max(0.0, scaled)
        elif measurand == "Current.Offered":
            self.current_limit_a = max(0.0, value)
        elif measurand == "Temperature":
            self.temperature_c = value
        elif measurand in ("Current.Import", "Voltage") and phase is not None:
            key = "current_a" if measurand == "Current.Import" else "voltage_v"
            self.phases.setdefault(phase, {})[key] = value

    def status(self, *, online: bool = True) -> DeviceStatus:
        """What the charger told us, as any vendor's status reads (`offline` once it left)."""
        return DeviceStatus(
            state=self.state if online else "offline",
            online=online,
            plugged_in=online and self.state in _PLUGGED,
            power_w=self.power_w if online else None,
            session_energy_wh=self.session_energy_wh,
            lifetime_energy_wh=self.lifetime_energy_wh,
            current_limit_a=self.current_limit_a,
            temperature_c=self.temperature_c,
            firmware_version=self.firmware_version,
        )

    def status_log(self, evse_uid: str, at: datetime, *, online: bool = True) -> StatusLog:
        return status_model(evse_uid, self.status(online=online), at=at, phases=self.phases)

    def status_event(self, evse_uid: str, at: datetime, *, online: bool = True) -> EncodedEvent:
        """`status_log` as it is published, built without the model (`log_events.py`)."""
        return status_event(evse_uid, self.status(online=online), at=at, phases=self.phases)
