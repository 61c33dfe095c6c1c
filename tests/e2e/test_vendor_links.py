"""Real vendor clouds, over HTTP against the whole platform as processes (issue 15's "done when").

A user links their own accounts at the four cloud vendors on the hosted sign-in pages, imports
one charger of each by serial, status logs arrive, and a current limit sent to each is confirmed
through the vendor's own signal: Easee's SignalR `CommandResponse`, the others' state read back.
The vendor then refuses the password (the user changed it in the vendor's app): the EVSE shows
the broken link, the application
hears `evse.link_broken`, and signing in again through the EVSE's reconnect page restores
polling of the same EVSE. EO, Enel X and SyncEV chargers import as OCPP enrolments; a charge
point built from the `ocpp` package connects with the settings shown and its status logs
arrive.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import pytest
from ocpp.v16.enums import ChargePointStatus

from bench.ocpp_chargers import connected_charger
from evse_catalogue.seed import load_seed
from evse_contracts.bridge import CLOUD_PROVIDERS, OCPP_PROVIDERS
from evse_devstack.demo import run_admin
from evse_devstack.stack import Stack
from evse_vendor_simulator.seed import ACCOUNT_NAMES, account_username, seed_for
from tests.e2e.conftest import VENDOR
from tests.utils.polling import eventually
from tests.utils.vendor_links import form_action, link_vendor_account

pytestmark = pytest.mark.e2e

OWNER = account_username(ACCOUNT_NAMES[1])
"""The simulator's second account holder: the other e2e modules leave their chargers alone."""
NEW_PASSWORD = "changed-in-the-vendor-app"


def token(client: httpx.Client, stack: Stack, **extra: str) -> dict[str, str]:
    demo = stack.demo
    assert demo is not None
    form = {
        "grant_type": "client_credentials",
        "client_id": demo.client_id,
        "client_secret": demo.client_secret,
        **extra,
    }
    response = client.post("/v2/oauth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def client(e2e_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=e2e_stack.base_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def user(e2e_stack: Stack, client: httpx.Client) -> dict[str, str]:
    demo = e2e_stack.demo
    assert demo is not None
    created = run_admin(
        ["create-user", "--client-id", demo.client_id, "--email", OWNER], e2e_stack.env
    )
    return token(client, e2e_stack, user_uid=created["user_uid"])


def status_logs(client: httpx.Client, user: dict[str, str], evse_uid: str) -> list[Any]:
    response = client.get(f"/v2/evses/{evse_uid}/status_logs", headers=user)
    if response.status_code == 404:  # telemetry has not heard of the EVSE yet
        return []
    assert response.status_code == 200, response.text
    results: list[Any] = response.json()["results"]
    return results


def client_events(
    client: httpx.Client, app: dict[str, str], evse_uid: str, wanted: str
) -> list[dict[str, Any]]:
    """`GET /v2/events` from the stream's start until an event of type `wanted` for the EVSE."""
    seen: list[dict[str, Any]] = []
    with client.stream(
        "GET", "/v2/events", headers={**app, "Last-Event-ID": "0"}, timeout=60
    ) as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines():
            if line.startswith("data:"):
                event = json.loads(line.removeprefix("data:").strip())
                if event["evse_uid"] == evse_uid:
                    seen.append(event)
                    if event["type"] == wanted:
                        return seen
    return seen


def command_logs(client: httpx.Client, user: dict[str, str], evse_uid: str) -> list[Any]:
    response = client.get(f"/v2/evses/{evse_uid}/command_logs", headers=user)
    assert response.status_code == 200, response.text
    results: list[Any] = response.json()["results"]
    return results


def confirmed_limit(
    stack: Stack, client: httpx.Client, user: dict[str, str], provider: str, evse_uid: str
) -> dict[str, Any]:
    """Send a current limit to the charging charger; its final command log, once confirmed."""
    serial = next(c for c in seed_for(provider) if c.owner == OWNER).serial_number
    simulator = stack.env["EVSE_SIMULATOR_URL"]
    pinned = httpx.put(f"{simulator}/_sim/chargers/{serial}/state", json={"state": "charging"})
    assert pinned.status_code == 200, pinned.text
    sent = client.post(
        f"/v2/evses/{evse_uid}/commands",
        json={"command": "set_current_limit", "current_limit_a": 16},
        headers=user,
    )
    assert sent.status_code == 202, sent.text
    command_id = sent.json()["command_id"]
    final: dict[str, Any] = eventually(
        lambda: next(
            (
                log
                for log in command_logs(client, user, evse_uid)
                if log["command_id"] == command_id and log["result"] != "pending"
            ),
            None,
        )
    )
    assert final["result"] == "confirmed", final
    return final


def test_linked_vendor_accounts_import_poll_break_and_relink_the_same_evse(
    e2e_stack: Stack, client: httpx.Client, user: dict[str, str]
) -> None:
    app = token(client, e2e_stack)
    evses: dict[str, dict[str, Any]] = {}
    for provider in CLOUD_PROVIDERS:
        linked = link_vendor_account(client, user, provider, OWNER)
        assert linked.status_code == 303, linked.text
        charger = next(c for c in seed_for(provider) if c.owner == OWNER)
        imported = client.post(
            "/v2/evse_onboarding/import",
            json={"provider": provider, "serial_number": charger.serial_number},
            headers=user,
        )
        assert imported.status_code == 201, imported.text
        evses[provider] = imported.json()
        assert evses[provider]["vendor_link"] == {"state": "linked", "reason": None}
    for evse in evses.values():
        eventually(partial(status_logs, client, user, evse["uid"]))
    for provider, evse in evses.items():
        log = confirmed_limit(e2e_stack, client, user, provider, evse["uid"])
        # Easee's outcome is its hub's `CommandResponse` (`resultCode` 0); the others' is
        # the charger read back, which carries no code of the vendor's.
        assert log["vendor_response_code"] == ("0" if provider == "easee" else None), log

    evse = evses[VENDOR]
    path = f"/v2/evses/{evse['uid']}"
    simulator = e2e_stack.env["EVSE_SIMULATOR_URL"]
    changed = httpx.put(
        f"{simulator}/_sim/vendors/{VENDOR}/accounts/{OWNER}/password",
        json={"password": NEW_PASSWORD},
    )
    assert changed.status_code == 200, changed.text
    broken = eventually(
        lambda: (
            (shown := client.get(path, headers=user).json())["vendor_link"]["state"] == "broken"
            and shown
        )
    )
    assert broken["vendor_link"]["reason"] == "credentials_rejected"
    heard = client_events(client, app, evse["uid"], "evse.link_broken")
    assert heard[-1]["provider"] == VENDOR and heard[-1]["reason"] == "credentials_rejected"
    polled_before = len(status_logs(client, user, evse["uid"]))

    reconnect = client.post(f"{path}/reconnect", headers=user)
    assert reconnect.status_code in (200, 201), reconnect.text
    page = client.get(reconnect.json()["url"])
    page = client.get(page.headers["location"])
    assert "Sign in to Zaptec" in page.text, page.text
    relinked = client.post(
        form_action(page.text), data={"username": OWNER, "password": NEW_PASSWORD}
    )
    assert relinked.status_code == 303, relinked.text
    assert f"evse_uid={evse['uid']}" in relinked.headers["location"]
    shown = eventually(
        lambda: (
            (now := client.get(path, headers=user).json())["vendor_link"]["state"] == "linked"
            and now
        )
    )
    assert shown["uid"] == evse["uid"]
    eventually(lambda: len(status_logs(client, user, evse["uid"])) > polled_before)
    restored = client_events(client, app, evse["uid"], "evse.link_restored")
    assert restored[-1]["type"] == "evse.link_restored"
    listed = client.get("/v2/evses", params={"limit": 100}, headers=user).json()["results"]
    assert [e["uid"] for e in listed if e["provider"] == VENDOR] == [evse["uid"]]


@pytest.mark.parametrize("provider", OCPP_PROVIDERS)
def test_a_make_without_a_cloud_api_imports_as_an_ocpp_charger_that_connects(
    client: httpx.Client, user: dict[str, str], provider: str
) -> None:
    imported = client.post(
        "/v2/evse_onboarding/import",
        json={"provider": provider, "serial_number": f"{provider.upper()}-E2E-0001"},
        headers=user,
    )
    assert imported.status_code == 201, imported.text
    evse = imported.json()
    assert evse["onboarding_method"] == "ocpp" and evse["vendor_link"] is None
    settings_link = re.fullmatch(r'<([^>]+)>; rel="ocpp-settings"', imported.headers["link"])
    assert settings_link is not None
    page = client.get(settings_link.group(1))
    page = client.get(page.headers["location"])
    assert "Point your charger at us" in page.text, page.text
    settings = client.post(form_action(page.text))
    assert settings.status_code == 200, settings.text
    url, charge_point_id, password = re.findall(r"<code>([^<]+)</code>", settings.text)[:3]
    asyncio.run(boot_and_report(url, charge_point_id, password))
    logs = eventually(lambda: status_logs(client, user, evse["uid"]))
    assert logs[0]["evse_uid"] == evse["uid"]


async def boot_and_report(url: str, charge_point_id: str, password: str) -> None:
    async with connected_charger(url, charge_point_id, password) as charger:
        assert (await charger.boot()).status == "Accepted"
        await charger.status(ChargePointStatus.available)


def test_the_simulated_consent_exists_with_the_simulator_and_says_so(
    client: httpx.Client, user: dict[str, str]
) -> None:
    model_uid = next(m["uid"] for m in load_seed()["evse_models"] if m["name"] == "Home Pro")
    started = client.get("/v2/evse_onboarding", params={"model_id": model_uid}, headers=user)
    gb = {"Accept-Language": "en-GB"}
    page = client.get(started.headers["location"], headers=gb)
    while page.status_code in (302, 303):
        page = client.get(page.headers["location"], headers=gb)
    page = client.post(form_action(page.text), headers=gb)
    page = client.get(page.headers["location"], headers=gb)
    assert "Sign in to Ohme" in page.text and "simulated" in page.text, page.text
    allowed = client.post(form_action(page.text), data={"decision": "allow"})
    assert allowed.status_code == 303 and "evse_uid=evse" in allowed.headers["location"]
