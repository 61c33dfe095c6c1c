from __future__ import annotations

import pytest

from evse_contracts.bridge import CLOUD_PROVIDERS
from evse_smart_charging.capabilities import for_ocpp, for_vendor, require
from evse_smart_charging.errors import CapabilityMissing, CurrentLimitOutOfRange

FULL_OCPP = {
    "SupportedFeatureProfiles": "Core,FirmwareManagement,SmartCharging,RemoteTrigger",
    "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
    "MeterValuesSampledData": "Energy.Active.Import.Register,Power.Active.Import",
}


def test_every_vendor_the_bridge_speaks_has_capabilities() -> None:
    for provider in CLOUD_PROVIDERS:
        assert for_vendor(provider).start_stop, provider
        assert for_vendor(provider).current_limit, provider


def test_a_core_only_charger_cannot_take_a_current_limit_and_says_which_capability() -> None:
    with pytest.raises(CapabilityMissing) as caught:
        require(
            "evse-ocpp",
            for_ocpp({"SupportedFeatureProfiles": "Core"}, max_current_a=16),
            "set_current_limit",
        )
    problem = caught.value.to_problem()
    assert (problem.slug, problem.status) == ("command-not-supported", 422)
    assert problem.errors[0].loc == "capability"
    assert problem.errors[0].msg == "current_limit"


def test_vendor_clouds_have_no_schedules_so_plans_run_as_timed_actions() -> None:
    with pytest.raises(CapabilityMissing):
        require("evse-zaptec", for_vendor("zaptec"), "set_schedule")
    require("evse-zaptec", for_vendor("zaptec"), "set_current_limit")


def test_an_ocpp_charger_with_smart_charging_in_amps_takes_limits_and_schedules() -> None:
    caps = for_ocpp(FULL_OCPP, max_current_a=32)
    assert caps.current_limit and caps.schedules and caps.power_reading and caps.energy_reading
    assert (caps.min_current_a, caps.max_current_a) == (6.0, 32)


def test_an_ocpp_charger_without_the_smart_charging_profile_only_starts_and_stops() -> None:
    caps = for_ocpp({"SupportedFeatureProfiles": "Core"}, max_current_a=16)
    assert caps.start_stop and not caps.current_limit and not caps.schedules
    assert not caps.power_reading


def test_an_ocpp_charger_scheduling_only_in_watts_cannot_take_amp_limits() -> None:
    caps = for_ocpp(
        {**FULL_OCPP, "ChargingScheduleAllowedChargingRateUnit": "Power"}, max_current_a=16
    )
    assert not caps.current_limit


def test_a_limit_outside_the_range_is_refused_with_the_range() -> None:
    with pytest.raises(CurrentLimitOutOfRange) as caught:
        require("evse-zaptec", for_vendor("zaptec"), "set_current_limit", 40)
    assert caught.value.to_problem().errors[0].msg == "between 6 and 32"
    require("evse-zaptec", for_vendor("zaptec"), "set_current_limit", 32)


def test_commands_outside_smart_charging_need_no_capability() -> None:
    require("evse-ocpp", for_vendor("unknown"), "reset")
