"""A client's whole journey over HTTP, against the platform started as separate processes.

Token, compatibility check, the user's vendor account linked on the hosted sign-in page,
import by serial, status logs from polling, a command confirmed
through its command log, a vendor outage seen as an error log, connectivity, decommission.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from evse_devstack.stack import Stack
from evse_vendor_simulator.seed import seed_for
from tests.e2e.conftest import VENDOR
from tests.utils.polling import eventually
from tests.utils.vendor_links import link_vendor_account

pytestmark = pytest.mark.e2e


@dataclass
class Journey:
    stack: Stack
    client: httpx.Client
    app: dict[str, str]
    user: dict[str, str]
    evse_uid: str = ""


def _token(client: httpx.Client, stack: Stack, **extra: str) -> dict[str, str]:
    assert stack.demo is not None
    form = {
        "grant_type": "client_credentials",
        "client_id": stack.demo.client_id,
        "client_secret": stack.demo.client_secret,
        **extra,
    }
    response = client.post("/v2/oauth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def journey(e2e_stack: Stack) -> Iterator[Journey]:
    with httpx.Client(base_url=e2e_stack.base_url, timeout=30) as client:
        assert e2e_stack.demo is not None
        app = _token(client, e2e_stack)
        user = _token(client, e2e_stack, user_uid=e2e_stack.demo.user_uid)
        yield Journey(e2e_stack, client, app, user)


def _charger_serial(journey: Journey) -> str:
    assert journey.stack.demo is not None
    email = journey.stack.demo.user_email
    return next(c.serial_number for c in seed_for(VENDOR) if c.owner == email)


def _logs(journey: Journey, kind: str) -> list[dict[str, Any]]:
    response = journey.client.get(
        f"/v2/evses/{journey.evse_uid}/{kind}_logs", params={"limit": 100}, headers=journey.user
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_1_a_client_checks_a_model_is_compatible(journey: Journey) -> None:
    models = journey.client.get("/v2/evse_models", headers=journey.app)
    assert models.status_code == 200, models.text
    model_uid = models.json()["results"][0]["uid"]
    check = journey.client.get(
        "/v2/evse_compatibility/check", params={"evse_model_id": model_uid, "country": "GB"}
    )
    assert check.status_code == 200, check.text
    body = check.json()
    assert body["evse_model_id"] == model_uid and body["country"] == "GB"
    assert isinstance(body["supported"], bool)


def test_2_a_user_links_their_vendor_account_and_imports_their_charger_by_serial(
    journey: Journey,
) -> None:
    assert journey.stack.demo is not None
    linked = link_vendor_account(
        journey.client, journey.user, VENDOR, journey.stack.demo.user_email
    )
    assert linked.status_code == 303, linked.text
    serial = _charger_serial(journey)
    response = journey.client.post(
        "/v2/evse_onboarding/import",
        json={"provider": VENDOR, "serial_number": serial},
        headers=journey.user,
    )
    assert response.status_code == 201, response.text
    evse = response.json()
    assert evse["serial_number"] == serial and evse["state"] == "active"
    assert journey.stack.demo is not None
    assert evse["user_uid"] == journey.stack.demo.user_uid
    journey.evse_uid = evse["uid"]
    listed = journey.client.get("/v2/evses", headers=journey.app).json()["results"]
    assert evse["uid"] in [e["uid"] for e in listed]


def test_3_status_logs_appear_from_polling(journey: Journey) -> None:
    logs = eventually(lambda: _logs(journey, "status"))
    assert all(log["evse_uid"] == journey.evse_uid for log in logs)
    one = journey.client.get(
        f"/v2/evses/{journey.evse_uid}/status_logs/{logs[0]['sampled_at']}", headers=journey.user
    )
    assert one.status_code == 200 and one.json() == logs[0]


def test_4_a_command_is_confirmed_in_its_command_log(journey: Journey) -> None:
    # The simulated charger cycles through offline and faulted, which refuse commands.
    simulator = journey.stack.env["EVSE_SIMULATOR_URL"]
    pinned = httpx.put(
        f"{simulator}/_sim/chargers/{_charger_serial(journey)}/state", json={"state": "charging"}
    )
    assert pinned.status_code == 200, pinned.text
    response = journey.client.post(
        f"/v2/evses/{journey.evse_uid}/commands",
        json={"command": "set_current_limit", "current_limit_a": 16},
        headers=journey.user,
    )
    assert response.status_code == 202, response.text
    command_id = response.json()["command_id"]

    def confirmed() -> list[dict[str, Any]]:
        logs = [log for log in _logs(journey, "command") if log["command_id"] == command_id]
        return [log for log in logs if log["result"] == "confirmed"]

    (log,) = eventually(confirmed)
    assert log["command"] == "set_current_limit"


def test_5_a_vendor_outage_shows_as_an_error_log(journey: Journey) -> None:
    faults = f"{journey.stack.env['EVSE_SIMULATOR_URL']}/_sim/vendors/{VENDOR}/faults"
    switched = httpx.put(faults, json={"mode": "error", "status": 503})
    assert switched.status_code == 200, switched.text
    try:
        logs = eventually(lambda: _logs(journey, "error"))
    finally:
        httpx.put(faults, json={"mode": "ok"})
    assert logs[0]["provider"] == VENDOR and logs[0]["http_status"] == 503


def test_6_connectivity_is_readable(journey: Journey) -> None:
    response = journey.client.get(
        f"/v2/evses/{journey.evse_uid}/connectivity", headers=journey.user
    )
    assert response.status_code == 200, response.text
    assert response.json()["evse_uid"] == journey.evse_uid
    assert response.json()["sampled_at"] is not None


def test_7_a_decommissioned_evse_is_gone(journey: Journey) -> None:
    url = f"/v2/evses/{journey.evse_uid}"
    assert journey.client.delete(url, headers=journey.user).status_code == 204
    gone = journey.client.get(url, headers=journey.user)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
