"""Every vendor state code maps to one normalised state; back-off and Retry-After (pure)."""

from __future__ import annotations

import json
import random
import typing
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from evse_contracts.telemetry import ChargerState
from evse_provider_bridge.adapters import chargepoint_payloads, easee, wallbox, zaptec
from evse_provider_bridge.adapters.base import Command, DeviceStatus, readback_progress
from evse_provider_bridge.adapters.easee_stream import EaseeStream
from evse_provider_bridge.adapters.http import retry_after_seconds
from evse_provider_bridge.adapters.signalr import Invocation
from evse_provider_bridge.credentials import SecretBox
from evse_provider_bridge.settings import DEV_CREDENTIALS_KEY
from evse_runtime.backoff import Backoff

STATES = set(typing.get_args(ChargerState))


@pytest.mark.parametrize("code", sorted(wallbox.STATUS_IDS))
def test_every_wallbox_status_id_maps_to_a_normalised_state(code: int) -> None:
    status = wallbox.status_from_body({"status_id": code, "config_data": {}})
    assert status.state in STATES
    assert status.state == wallbox.STATUS_IDS[code][0]


def test_wallbox_charging_codes_read_as_charging_and_unknown_codes_as_unavailable() -> None:
    assert {wallbox.status_from_body({"status_id": c}).state for c in (193, 194, 195)} == {
        "charging"
    }
    assert wallbox.status_from_body({"status_id": 999}).state == "unavailable"


# Shaped as `GET /state/{id}/observations` answers: pyeasee 0.8.21 `charger.py:269` reads
# `{observations: [...]}`; ids and data types (3 Double, 4 Integer) from evcc
# `charger/easee/signalr.go` and `charger/easee/types.go`, names in pyeasee `const.py`.
EASEE_OBSERVATIONS = {
    "observations": [
        {"id": 109, "value": 3, "dataType": 4, "timestamp": "2026-11-28T10:00:00Z"},
        {"id": 120, "value": 7.4, "dataType": 3, "timestamp": "2026-11-28T10:00:00Z"},
        {"id": 121, "value": 3.25, "dataType": 3, "timestamp": "2026-11-28T10:00:00Z"},
        {"id": 124, "value": 1520.5, "dataType": 3, "timestamp": "2026-11-28T09:00:00Z"},
        {"id": 48, "value": 16, "dataType": 3, "timestamp": "2026-11-28T10:00:00Z"},
        {"id": 80, "value": 330, "dataType": 4, "timestamp": "2026-11-27T04:00:00Z"},
    ]
}


@pytest.mark.parametrize("mode", sorted(easee.OP_MODES))
def test_every_easee_op_mode_maps_to_a_normalised_state(mode: int) -> None:
    status = easee.status_from_observations(
        {"observations": [{"id": 109, "value": mode, "dataType": 4}]}
    )
    assert status.state == easee.OP_MODES[mode][0]


def test_easee_observations_in_kw_and_kwh_become_w_and_wh() -> None:
    status = easee.status_from_observations(EASEE_OBSERVATIONS)
    assert (status.state, status.power_w, status.session_energy_wh) == ("charging", 7400.0, 3250.0)
    assert (status.lifetime_energy_wh, status.current_limit_a) == (1520500.0, 16.0)
    assert status.firmware_version == "330"


def test_easee_missing_observations_stay_unknown_and_a_wrong_shape_is_refused() -> None:
    status = easee.status_from_observations({"observations": []})
    assert (status.state, status.power_w) == ("offline", None)
    with pytest.raises(ValueError, match="observations"):
        easee.status_from_observations({"chargerOpMode": 3})


@pytest.mark.parametrize("mode", sorted(zaptec.OPERATION_MODES))
def test_every_zaptec_operation_mode_maps(mode: int) -> None:
    status = zaptec.status_from_observations([{"StateId": 710, "ValueAsString": str(mode)}])
    assert status.state == zaptec.OPERATION_MODES[mode][0]


@pytest.mark.parametrize("charging_status", sorted(chargepoint_payloads.CHARGING_STATUSES))
def test_every_chargepoint_charging_status_maps(charging_status: str) -> None:
    status = chargepoint_payloads.status_from_body({"chargingStatus": charging_status})
    assert status.state == chargepoint_payloads.CHARGING_STATUSES[charging_status]


def test_backoff_grows_exponentially_within_bounds_and_honours_retry_after() -> None:
    rng = random.Random(7)
    delays = [Backoff(1, 60).delay(n, rng=rng) for n in range(1, 10)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(60, 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert Backoff(1, 60).delay(1, retry_after_s=30, rng=rng) == 30


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Thu, 01 Jan 2026 12:01:00 GMT", now=now) == 60
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_readback_judges_commands_by_the_charger_state() -> None:
    plugged = DeviceStatus(state="suspended_ev", online=True, plugged_in=True)
    charging = DeviceStatus(state="charging", online=True, plugged_in=True, current_limit_a=16)
    unplugged = DeviceStatus(state="available", online=True, plugged_in=False)
    start, stop = Command("start_charging"), Command("stop_charging")
    assert readback_progress(start, plugged) == "pending"
    assert readback_progress(start, charging) == "confirmed"
    assert readback_progress(start, unplugged) == "failed"
    assert readback_progress(stop, charging) == "pending"
    assert readback_progress(stop, plugged) == "confirmed"
    assert readback_progress(Command("set_current_limit", 16), charging) == "confirmed"
    offline = DeviceStatus(state="offline", online=False, plugged_in=False)
    assert readback_progress(stop, offline) == "failed"


def test_sealed_credentials_hide_their_values_and_open_again() -> None:
    box = SecretBox(SecretStr(DEV_CREDENTIALS_KEY))
    sealed = box.seal({"unit_token": "very-secret-token"})
    assert "very-secret-token" not in sealed
    assert "very-secret-token" not in json.dumps(sealed)
    assert box.open(sealed) == {"unit_token": "very-secret-token"}


def test_zaptec_paused_is_mode_5_with_final_stop_active_and_the_limit_is_510() -> None:
    # `GET /api/chargers/{id}/state` items as evcc `charger/zaptec/types.go` `StateResponse`
    # reads them; ids from evcc `charger/zaptec/const.go`; paused = 5 + 718 per
    # docs.zaptec.com/reference/charger_sendcommand_post.
    observations = [
        {
            "ChargerId": "c1",
            "StateId": 710,
            "Timestamp": "2026-11-28T10:00:00",
            "ValueAsString": "5",
        },
        {
            "ChargerId": "c1",
            "StateId": 718,
            "Timestamp": "2026-11-28T10:00:00",
            "ValueAsString": "1",
        },
        {
            "ChargerId": "c1",
            "StateId": 510,
            "Timestamp": "2026-11-28T10:00:00",
            "ValueAsString": "16",
        },
        {
            "ChargerId": "c1",
            "StateId": 708,
            "Timestamp": "2026-11-28T10:00:00",
            "ValueAsString": "0",
        },
    ]
    status = zaptec.status_from_observations(observations)
    assert (status.state, status.plugged_in, status.current_limit_a) == (
        "suspended_evse",
        True,
        16.0,
    )
    finished = zaptec.status_from_observations(observations[:1])
    assert finished.state == "finishing"


# Shaped as Easee's SignalR stream sends `ProductUpdate` (one argument per observation): keys
# from pyeasee 0.8.21 `easee.py` `_sr_callback` (`mid`, `dataType`, `id`, `value`), the value a
# string that pyeasee `convert_stream_data` converts by `dataType`; evcc `easee.go` likewise.
def _product_update(mid: str, obs_id: int, value: str, data_type: int = 3) -> dict[str, object]:
    return {
        "mid": mid,
        "dataType": data_type,
        "id": obs_id,
        "timestamp": "2026-11-28T10:00:00Z",
        "value": value,
    }


def _relayed(target: str, arguments: list[dict[str, object]]) -> bytes:
    return json.dumps({"target": target, "arguments": arguments}).encode()


def test_easee_stream_updates_become_one_status_per_charger_that_reports_its_op_mode() -> None:
    pushes = [
        _product_update("EH100001", 109, "3", data_type=4),
        _product_update("EH100001", 120, "7.36"),
        _product_update("EH100001", 48, "32"),
        _product_update("EH100002", 120, "0.0"),  # no op mode: says nothing about the state
    ]
    push = easee.EaseeAdapter.read_push(_relayed("ProductUpdate", pushes))
    assert [device for device, _ in push.statuses] == ["EH100001"]
    status = push.statuses[0][1]
    assert (status.state, status.power_w, status.current_limit_a) == ("charging", 7360.0, 32.0)
    assert push.command_results == []


def test_easee_stream_updates_without_a_charger_id_are_refused() -> None:
    with pytest.raises(KeyError):
        easee.EaseeAdapter.read_push(
            _relayed("ProductUpdate", [{"chargerId": "x", "observations": []}])
        )
    with pytest.raises(ValueError):
        easee.EaseeAdapter.read_push(b'[{"mid": "x", "id": 109, "value": "3"}]')


# Shaped as the hub sends `CommandResponse`: evcc `charger/easee/types.go` `SignalRCommandResponse`
# (`SerialNumber`, `ID`, `Ticks`, `WasAccepted`, `ResultCode`, `Comment`), camel-cased by the
# JSON hub protocol; `ticks` echoes the REST command's 202 body (evcc `easee/dispatcher.go`).
def _command_response(ticks: int, accepted: bool, code: int) -> dict[str, object]:
    return {
        "serialNumber": "EH100001",
        "id": 48,
        "ticks": ticks,
        "wasAccepted": accepted,
        "resultCode": code,
        "comment": None if accepted else "charger refused",
        "timestamp": "2026-11-28T10:00:01Z",
        "deliveredAt": "2026-11-28T10:00:01Z",
    }


def test_easee_command_responses_settle_by_ticks() -> None:
    push = easee.EaseeAdapter.read_push(
        _relayed(
            "CommandResponse",
            [_command_response(638000000000000001, True, 0), _command_response(7, False, 1)],
        )
    )
    assert push.statuses == []
    assert [(r.ack_id, r.result, r.vendor_response_code) for r in push.command_results] == [
        ("638000000000000001", "confirmed", "0"),
        ("7", "failed", "1"),
    ]
    assert push.command_results[1].detail == "charger refused"


class _ScriptedHub:
    """What a hub connection would invoke, each at its time on `clock` (a stand-in for the
    socket)."""

    def __init__(self, script: list[tuple[float, Invocation]], clock: list[float]) -> None:
        self._script = script
        self._clock = clock

    async def invocations(self) -> AsyncIterator[Invocation]:
        for at, invocation in self._script:
            self._clock[0] = at
            yield invocation


async def test_the_easee_stream_relays_states_at_once_and_readings_every_interval() -> None:
    script = [
        (0.0, ("EH1", 109, "3")),  # state: relayed at once, with all that is known
        (0.0, ("EH1", 120, "7.1")),  # a reading 0 s after the last relay: held
        (5.0, ("EH1", 120, "7.1")),  # unchanged: nothing
        (10.0, ("EH1", 120, "7.2")),  # 10 s on: relayed, carrying the op mode too
        (11.0, ("EH1", 999, "1")),  # an observation the bridge does not read: ignored
        (11.0, ("EH1", 48, "16")),  # state again: at once
    ]
    clock = [0.0]
    hub = _ScriptedHub(
        [(at, Invocation("ProductUpdate", [_product_update(*u)])) for at, u in script], clock
    )
    stream = EaseeStream(
        hub,  # type: ignore[arg-type]
        state_ids=easee.STATE_IDS,
        reading_ids=easee.READING_IDS,
        readings_interval_s=10.0,
        clock=lambda: clock[0],
    )
    relayed = [json.loads(body) async for body in stream.pushes()]
    assert {push["target"] for push in relayed} == {"ProductUpdate"}
    assert [{a["id"]: a["value"] for a in push["arguments"]} for push in relayed] == [
        {109: "3"},
        {109: "3", 120: "7.2"},
        {109: "3", 120: "7.2", 48: "16"},
    ]
