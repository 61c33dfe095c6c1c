"""The ChargePoint adapter's parsers on payloads shaped as python-chargepoint 2.3.2's own test
fixtures show them (mbillow/python-chargepoint `tests/conftest.py`, `tests/test_session.py`,
commit 691112f) and as evcc's closed branch reads them; the fixtures are written here."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from evse_provider_bridge.adapters.base import DeviceStatus
from evse_provider_bridge.adapters.chargepoint_payloads import (
    ack_id_of,
    home_charger_ids,
    open_session_id,
    status_from_body,
    with_session_readings,
)
from evse_provider_bridge.adapters.errors import VendorError

# conftest.py `home_charger_json`
HOME_CHARGER = {
    "brand": "CP",
    "isPluggedIn": True,
    "isConnected": True,
    "chargingStatus": "CHARGING",
    "model": "HOME FLEX",
    "chargeAmperageSettings": {
        "chargeLimit": 28,
        "inProgress": False,
        "possibleChargeLimit": [20, 28, 32],
    },
}
# conftest.py `user_charging_status_json`, as `POST {mapcache}v2` wraps it (test_client.py:474-478)
USER_STATUS = {
    "user_status": {
        "charging": {
            "sessionId": 1,
            "state": "in_use",
            "startTimeUTC": 1764370000.0,
            "stations": [{"deviceId": 1, "name": "CP HOME", "lat": 30.0, "lon": 70.0}],
        }
    }
}
# conftest.py `charging_status_json` (the fields the adapter reads, and a few around them)
SESSION = {
    "charging_status": {
        "start_time": 1764370000000,
        "device_id": 1,
        "current_charging": "CHARGING",
        "energy_kwh": 1.1,
        "power_kw": 10.1,
        "outlet_number": 1,
        "last_update_data_timestamp": 1764370060000,
    }
}
# test_client.py:369-380 (`get_home_chargers`): ids are strings there
HOME_CHARGERS = {
    "data": [{"id": "1234567890", "label": None, "protocolIdentifier": None, "location": None}],
    "pagination": {"nextCursor": "none"},
}
CHARGING = DeviceStatus(state="charging", online=True, plugged_in=True)


def answer(status: int, body: dict[str, Any]) -> httpx.Response:
    request = httpx.Request(
        "POST", "https://account.chargepoint.com/account/v1/driver/station/startsession"
    )
    return httpx.Response(status, content=json.dumps(body), request=request)


def test_the_status_fixture_reads_as_charging_at_its_amperage_limit() -> None:
    status = status_from_body(HOME_CHARGER)
    assert (status.state, status.plugged_in, status.current_limit_a) == ("charging", True, 28.0)
    assert status.power_w is None  # not in the status: it lives in the session API


def test_home_chargers_are_listed_by_id_and_another_shape_is_unparsable() -> None:
    assert home_charger_ids(HOME_CHARGERS) == ["1234567890"]
    with pytest.raises(VendorError, match="unreadable"):
        home_charger_ids({"get_pandas": {"device_ids": [1]}})


def test_a_start_answering_200_gives_its_ack_id() -> None:
    assert (
        ack_id_of(answer(200, {"ackId": 1}), "station.startsession") == "1"
    )  # test_session.py:18-21


def test_a_start_answering_422_with_an_ack_id_is_pending_not_failed() -> None:
    """evcc `charger/chargepoint/api.go:155-160`: the start may answer 422 and carry an ackId."""
    assert ack_id_of(answer(422, {"ackId": 7}), "station.startsession") == "7"


def test_a_422_without_an_ack_id_is_a_refusal_not_retried() -> None:
    with pytest.raises(VendorError) as refused:
        ack_id_of(answer(422, {"errorMessage": "station busy"}), "station.startsession")
    assert (refused.value.http_status, refused.value.retryable) == (422, False)


def test_a_200_without_an_ack_id_is_unparsable() -> None:
    with pytest.raises(VendorError, match="unreadable"):
        ack_id_of(answer(200, {}), "station.startsession")


def test_the_open_session_is_found_by_the_chargers_device_id() -> None:
    assert open_session_id(USER_STATUS, "1") == 1
    assert open_session_id(USER_STATUS, "2") is None
    assert open_session_id({"user_status": {}}, "1") is None  # client.py:386: not charging


def test_session_power_and_energy_in_kw_and_kwh_become_w_and_wh() -> None:
    status = with_session_readings(CHARGING, SESSION)
    assert (status.power_w, status.session_energy_wh) == (10100.0, 1100.0)


def test_a_session_answer_with_an_error_is_unparsable() -> None:
    """python-chargepoint `session.py:256-263` treats `error_message` in the answer as failure."""
    with pytest.raises(VendorError, match="unreadable"):
        with_session_readings(CHARGING, {"charging_status": {"error_message": "no session"}})
