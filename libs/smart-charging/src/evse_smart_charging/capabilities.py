"""What each EVSE can do through its integration, and the check every command passes first.

Vendor clouds: one row per cloud provider, from what its API offers (see each adapter's
module docstring in the provider bridge); EO, Enel X and SyncEV chargers connect over OCPP.
OCPP 1.6J chargers: from the configuration keys the charger reports (`GetConfiguration`):
`SupportedFeatureProfiles` (Core gives start/stop, SmartCharging gives limits and schedules),
`ChargingScheduleAllowedChargingRateUnit` (limits in amps need `Current`) and
`MeterValuesSampledData` (power and energy readings).
"""

from __future__ import annotations

from collections.abc import Mapping

from evse_contracts.smart_charging import Capabilities, Capability

from .errors import CapabilityMissing, CurrentLimitOutOfRange

__all__ = [
    "COMMAND_CAPABILITY",
    "VENDOR_CAPABILITIES",
    "for_ocpp",
    "for_vendor",
    "require",
]

COMMAND_CAPABILITY: dict[str, Capability] = {
    "start_charging": "start_stop",
    "stop_charging": "start_stop",
    "set_current_limit": "current_limit",
    "set_schedule": "schedules",
}
"""The capability each command needs."""

OCPP_MIN_CURRENT_A = 6.0
"""IEC 61851-1: below 6 A the control pilot cannot signal a charging current."""


def _cloud(
    *, limit: tuple[float, float] | None, power: bool, energy: bool, phases: int
) -> Capabilities:
    return Capabilities(
        start_stop=True,
        current_limit=limit is not None,
        min_current_a=None if limit is None else limit[0],
        max_current_a=None if limit is None else limit[1],
        current_step_a=1.0,  # every cloud takes (and reports) whole amperes
        schedules=False,
        power_reading=power,
        energy_reading=energy,
        phases=1 if phases == 1 else 3,
    )


VENDOR_CAPABILITIES: dict[str, Capabilities] = {
    # charge-amperage-limit; Home Flex up to 50 A on one phase (lower bound not documented).
    "chargepoint": _cloud(limit=(6.0, 50.0), power=True, energy=True, phases=1),
    # dynamicChargerCurrent; state carries kW and kWh.
    "easee": _cloud(limit=(6.0, 32.0), power=True, energy=True, phases=3),
    # maxChargingCurrent.
    "wallbox": _cloud(limit=(6.0, 32.0), power=True, energy=True, phases=3),
    # Observations 513 (power), 553 (session kWh), 708 (current); /update for the limit.
    "zaptec": _cloud(limit=(6.0, 32.0), power=True, energy=True, phases=3),
}


def for_vendor(provider: str) -> Capabilities:
    """The capabilities of a charger reached through `provider`'s cloud (none if unknown)."""
    return VENDOR_CAPABILITIES.get(provider) or Capabilities(
        start_stop=False,
        current_limit=False,
        schedules=False,
        power_reading=False,
        energy_reading=False,
    )


def _listed(configuration: Mapping[str, str], key: str) -> set[str]:
    return {item.strip() for item in configuration.get(key, "").split(",") if item.strip()}


def for_ocpp(
    configuration: Mapping[str, str], *, max_current_a: float, phases: int = 3
) -> Capabilities:
    """The capabilities an OCPP 1.6J charger reports in its configuration keys."""
    profiles = _listed(configuration, "SupportedFeatureProfiles")
    units = _listed(configuration, "ChargingScheduleAllowedChargingRateUnit")
    measurands = _listed(configuration, "MeterValuesSampledData")
    smart = "SmartCharging" in profiles and "Current" in units
    return Capabilities(
        start_stop="Core" in profiles,
        current_limit=smart,
        min_current_a=min(OCPP_MIN_CURRENT_A, max_current_a) if smart else None,
        max_current_a=max_current_a if smart else None,
        schedules=smart,
        power_reading="Power.Active.Import" in measurands,
        energy_reading="Energy.Active.Import.Register" in measurands,
        phases=1 if phases == 1 else 3,
    )


def require(
    evse_uid: str, capabilities: Capabilities, command: str, current_limit_a: float | None = None
) -> None:
    """Refuse a command the EVSE cannot carry out: its capability missing or limit out of range."""
    capability = COMMAND_CAPABILITY.get(command)
    if capability is None:
        return
    if not getattr(capabilities, capability):
        raise CapabilityMissing(evse_uid, capability)
    low, high = capabilities.min_current_a, capabilities.max_current_a
    if current_limit_a is not None and low is not None and high is not None:
        if not low <= current_limit_a <= high:
            raise CurrentLimitOutOfRange(evse_uid, current_limit_a, low, high)
