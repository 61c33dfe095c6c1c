"""An OCPP charger's journey over the whole stack as processes, and what its application hears.

The application subscribes a webhook receiver; its user onboards an OCPP model through the
hosted pages and gets the charger's settings; a simulated charger connects with them, boots
and charges; the application stops it through the API. The OCPP logs show every frame in
order, and the application learns each step by signed webhook and by the live event stream.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from ocpp.v16.enums import ChargePointStatus

from bench.ocpp_chargers import connected_charger
from evse_catalogue.seed import load_seed
from evse_contracts.notifications import EVENT_TYPES
from evse_devstack.stack import Stack
from tests.utils.polling import until
from tests.utils.receiver import Receiver, verify
from tests.utils.services import running_asgi

pytestmark = pytest.mark.e2e

OCPP_MODEL = "Terra AC Wallbox (22 kW)"
GERMAN = {"Accept-Language": "de-DE"}
ATTEMPTS, PAUSE_S = 300, 0.2


async def token(http: httpx.AsyncClient, stack: Stack, **extra: str) -> dict[str, str]:
    demo = stack.demo
    assert demo is not None
    form = {
        "grant_type": "client_credentials",
        "client_id": demo.client_id,
        "client_secret": demo.client_secret,
        **extra,
    }
    response = await http.post("/v2/oauth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def form_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


async def onboard_ocpp_charger(
    http: httpx.AsyncClient, user: dict[str, str]
) -> tuple[str, str, str, str]:
    """Through the hosted pages: (evse uid, charger URL, charge point id, password)."""
    model_uid = next(m["uid"] for m in load_seed()["evse_models"] if m["name"] == OCPP_MODEL)
    started = await http.get("/v2/evse_onboarding", params={"model_id": model_uid}, headers=user)
    assert started.status_code == 302, started.text
    page = await http.get(started.headers["location"], headers=GERMAN)
    while page.status_code in (302, 303):
        page = await http.get(page.headers["location"], headers=GERMAN)
    assert "Your charger works with us" in page.text, page.text
    page = await http.post(form_action(page.text), headers=GERMAN)
    page = await http.get(page.headers["location"], headers=GERMAN)
    assert "Point your charger at us" in page.text, page.text
    settings = await http.post(form_action(page.text), headers=GERMAN)
    assert settings.status_code == 200, settings.text
    url, charge_point_id, password = re.findall(r"<code>([^<]+)</code>", settings.text)[:3]
    evse_uid = re.search(r"evse_uid=(evse[0-9A-Z]+)", settings.text)
    assert evse_uid is not None, settings.text
    return evse_uid.group(1), url, charge_point_id, password


async def sse_events(
    http: httpx.AsyncClient, headers: dict[str, str], evse_uid: str, wanted: set[str]
) -> list[dict[str, Any]]:
    """Read `GET /v2/events` from the stream's start until `wanted` types of this EVSE came."""
    seen: list[dict[str, Any]] = []
    async with http.stream(
        "GET", "/v2/events", headers={**headers, "Last-Event-ID": "0"}, timeout=60
    ) as stream:
        assert stream.status_code == 200
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                event = json.loads(line.removeprefix("data:").strip())
                if event["evse_uid"] == evse_uid:
                    seen.append(event)
                    if wanted <= {e["type"] for e in seen}:
                        return seen
    return seen


@pytest_asyncio.fixture
async def client(e2e_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=e2e_stack.base_url, timeout=30) as http:
        yield http


async def test_an_ocpp_charger_onboards_charges_is_stopped_and_its_application_hears_it(
    e2e_stack: Stack, client: httpx.AsyncClient
) -> None:
    demo = e2e_stack.demo
    assert demo is not None
    app = await token(client, e2e_stack)
    user = await token(client, e2e_stack, user_uid=demo.user_uid)
    receiver = Receiver()
    async with running_asgi(receiver) as receiver_url:
        subscribed = await client.post(
            "/v2/webhooks/subscriptions",
            json={"url": f"{receiver_url}/hooks", "event_types": list(EVENT_TYPES)},
            headers=app,
        )
        assert subscribed.status_code == 201, subscribed.text
        secret = subscribed.json()["secret"]

        evse_uid, url, charge_point_id, password = await onboard_ocpp_charger(client, user)
        assert url == f"{e2e_stack.ocpp_url}/{charge_point_id}"
        async with connected_charger(url, charge_point_id, password) as charger:
            assert (await charger.boot()).status == "Accepted"
            await charger.status(ChargePointStatus.available)
            transaction_id = await charger.start_session()
            stop = await client.post(
                f"/v2/evses/{evse_uid}/commands", json={"command": "stop_charging"}, headers=user
            )
            assert stop.status_code == 202, stop.text
            await asyncio.wait_for(charger.remote_stopped.wait(), timeout=30)
            frames_sent = [
                ("inbound" if way == "sent" else "outbound", json.loads(raw)[1])
                for way, raw in charger.connection.frames
            ]

            async def all_frames() -> list[dict[str, Any]] | None:
                response = await client.get(
                    f"/v2/evses/{evse_uid}/ocpp_logs", params={"limit": 500}, headers=user
                )
                if response.status_code == 404:  # telemetry has not heard of the EVSE yet
                    return None
                assert response.status_code == 200, response.text
                found = list(reversed(response.json()["results"]))
                return found if len(found) >= len(frames_sent) else None

            frames = await until(all_frames, attempts=ATTEMPTS, pause_s=PAUSE_S)
        # Each direction in order; across directions the two ends may see calls cross (the
        # central system's GetConfiguration after boot, the charger's StatusNotification).
        logged = [(f["direction"], f["unique_id"]) for f in frames]
        assert per_direction(logged) == per_direction(frames_sent)
        stop_call = next(f for f in frames if f["action"] == "RemoteStopTransaction")
        assert stop_call["payload"] == {"transactionId": transaction_id}

        wanted = {"evse.onboarded", "evse.status_changed", "evse.command_confirmed"}

        async def heard() -> list[dict[str, Any]] | None:
            mine = [e for e in receiver.events if e["evse_uid"] == evse_uid]
            charged = any((e.get("status") or {}).get("state") == "charging" for e in mine)
            return mine if charged and wanted <= {e["type"] for e in mine} else None

        webhook_events = await until(heard, attempts=ATTEMPTS, pause_s=PAUSE_S)
    assert all(verify(secret, d.signature, d.body) for d in receiver.accepted)
    assert len({e["id"] for e in webhook_events}) == len(webhook_events)
    streamed = await asyncio.wait_for(sse_events(client, app, evse_uid, wanted), timeout=60)
    assert wanted <= {e["type"] for e in streamed}
    # Both channels carry the same events: same ids for the same facts.
    webhook_ids = {e["id"]: e["type"] for e in webhook_events}
    assert all(webhook_ids.get(e["id"], e["type"]) == e["type"] for e in streamed)

    def onboarded(events: list[dict[str, Any]]) -> list[str]:
        return [e["id"] for e in events if e["type"] == "evse.onboarded"]

    assert onboarded(streamed) == onboarded(webhook_events) and len(onboarded(streamed)) == 1


def per_direction(frames: list[tuple[str, str]]) -> dict[str, list[str]]:
    return {way: [uid for w, uid in frames if w == way] for way in ("inbound", "outbound")}
