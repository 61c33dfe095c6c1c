"""The hosted onboarding flow driven through its pages over HTTP, as a browser would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio

from evse_catalogue.seed import load_seed
from evse_devstack.keys import KeyPair
from evse_devstack.processes import free_port
from evse_onboarding.sessions import new_session
from evse_onboarding.sessions_store import MongoSessionStore
from evse_onboarding.store import MongoIdentityStore
from evse_runtime.mongo import open_database
from tests.utils.browser import like_a_browser
from tests.utils.factories import Tenant, create_tenant
from tests.utils.services import (
    running_bridge,
    running_catalogue,
    running_gateway,
    running_onboarding,
)

SEED = load_seed()
GB = {"Accept-Language": "en-GB,en;q=0.8"}


def model_uid(name: str) -> str:
    return next(m["uid"] for m in SEED["evse_models"] if m["name"] == name)


def make_uid(name: str) -> str:
    return next(m["uid"] for m in SEED["evse_makes"] if m["name"] == name)


@dataclass(frozen=True)
class Browser:
    client: httpx.AsyncClient
    sessions: MongoSessionStore
    alice: Tenant
    busy: Tenant
    user_token: str
    app_token: str

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.user_token}"}


@pytest_asyncio.fixture(scope="module")
async def browser(nats_url: str, mongodb_url: str, keys: KeyPair) -> AsyncIterator[Browser]:
    database = "test_onboarding_flow"
    async with open_database(mongodb_url, database) as db:
        await db.client.drop_database(database)
        identities = MongoIdentityStore(db)
        await identities.ensure_indexes()
        alice = await create_tenant(identities, "alice")
        busy = await create_tenant(identities, "busy")
    port = free_port()
    async with (
        running_onboarding(
            nats_url=nats_url,
            mongodb_url=mongodb_url,
            database=database,
            keys=keys,
            public_base_url=f"http://127.0.0.1:{port}",
        ) as onboarding,
        running_catalogue(nats_url=nats_url, mongodb_url=mongodb_url, database="test_flow_cat"),
        running_bridge(
            nats_url=nats_url,
            mongodb_url=mongodb_url,
            database="test_flow_bridge",
            simulator_url="http://127.0.0.1:9",
        ),
        running_gateway(
            nats_url=nats_url, port=port, jwt_public_key_file=keys.public_key_file
        ) as base_url,
        like_a_browser(httpx.AsyncClient(base_url=base_url)) as client,
    ):
        form = {
            "grant_type": "client_credentials",
            "client_id": alice.client_id,
            "client_secret": alice.client_secret,
        }
        app_token = (await client.post("/v2/oauth/token", data=form)).json()["access_token"]
        user_token = (
            await client.post("/v2/oauth/token", data={**form, "user_uid": alice.user_uid})
        ).json()["access_token"]
        yield Browser(client, MongoSessionStore(onboarding.db), alice, busy, user_token, app_token)


async def start(browser: Browser, **params: str) -> str:
    """Start a session through the API; return the hosted page URL it redirects to."""
    response = await browser.client.get(
        "/v2/evse_onboarding", params=params, headers=browser.auth()
    )
    assert response.status_code == 302, response.text
    location: str = response.headers["location"]
    assert "/onboarding/onb" in location
    return location


async def follow(browser: Browser, response: httpx.Response) -> httpx.Response:
    """Follow redirects while they stay on the platform's pages."""
    while response.status_code in (302, 303) and "/onboarding/" in response.headers["location"]:
        response = await browser.client.get(response.headers["location"], headers=GB)
    return response


def form_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


def assert_page(response: httpx.Response, status: int, heading: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert f"<h1>{heading}</h1>" in response.text, response.text
    return response.text


async def test_oauth_path_runs_from_make_picker_to_the_app_redirect(browser: Browser) -> None:
    page = await follow(browser, await browser.client.get(await start(browser, state="xyz")))
    html = assert_page(page, 200, "Choose your charger brand")
    assert 'lang="en"' in html and "<label" in html and 'name="viewport"' in html
    page = await follow(
        browser,
        await browser.client.post(form_action(html), data={"evse_make_id": make_uid("Ohme")}),
    )
    html = assert_page(page, 200, "Choose your model")
    page = await follow(
        browser,
        await browser.client.post(form_action(html), data={"evse_model_id": model_uid("Home Pro")}),
    )
    html = assert_page(page, 200, "Your charger works with us")
    assert "United Kingdom" in html
    page = await follow(browser, await browser.client.post(form_action(html), headers=GB))
    html = assert_page(page, 200, "Sign in to Ohme")
    final = await browser.client.post(form_action(html), data={"decision": "allow"})
    assert final.status_code == 303
    redirect = urlsplit(final.headers["location"])
    assert redirect.netloc == "alice.example" and redirect.path == "/done"
    query = parse_qs(redirect.query)
    assert query["state"] == ["xyz"] and query["evse_uid"][0].startswith("evse")
    evse = await browser.client.get(f"/v2/evses/{query['evse_id'][0]}", headers=browser.auth())
    assert evse.status_code == 200
    assert evse.json()["uid"] == query["evse_uid"][0]
    assert evse.json()["onboarding_method"] == "oauth"


async def test_ocpp_path_shows_the_url_charge_point_id_and_password_once(
    browser: Browser,
) -> None:
    url = await start(browser, model_id=model_uid("Terra AC Wallbox (22 kW)"))
    de = {"Accept-Language": "de-DE"}
    page = await browser.client.get(url, headers=de)
    page = await browser.client.get(page.headers["location"], headers=de)
    html = assert_page(page, 200, "Your charger works with us")
    page = await browser.client.post(form_action(html), headers=de)
    page = await browser.client.get(page.headers["location"], headers=de)
    html = assert_page(page, 200, "Point your charger at us")
    charge_point_id = re.search(r"<code>(CP-[^<]+)</code>", html)
    assert charge_point_id is not None, html
    action = form_action(html)
    settings = assert_page(await browser.client.post(action), 200, "Your charger settings")
    assert f"/ocpp/{charge_point_id.group(1)}</code>" in settings
    codes = re.findall(r"<code>([^<]+)</code>", settings)
    assert codes[0].startswith("ws://") and codes[1] == charge_point_id.group(1)
    assert len(codes[2]) >= 16
    assert "evse_uid=evse" in settings
    again = await browser.client.post(action)
    assert again.status_code == 410 and codes[2] not in again.text


async def test_unsupported_model_offers_the_waitlist(browser: Browser) -> None:
    url = await start(browser, model_id=model_uid("JuiceBox 40"))
    page = await follow(browser, await browser.client.get(url, headers=GB))
    html = assert_page(page, 200, "Not supported yet")
    assert "driver@alice.example" in html
    done = await browser.client.post(
        url + "/waitlist", data={"email": "driver@alice.example"}, headers=GB
    )
    assert_page(done, 200, "You are on the list")


async def test_a_used_link_shows_a_clear_page(browser: Browser) -> None:
    url = await start(browser, model_id=model_uid("Home Pro"))
    await follow(browser, await browser.client.get(url, headers=GB))
    await browser.client.post(url + "/compatibility", headers=GB)
    final = await browser.client.post(url + "/authorize", data={"decision": "allow"})
    assert final.status_code == 303
    again = await browser.client.get(url)
    assert_page(again, 410, "Already connected")


async def test_an_unknown_link_shows_a_clear_page(browser: Browser) -> None:
    page = await browser.client.get("/onboarding/onb01ZZZZZZZZZZZZZZZZZZZZZZZZZ")
    assert_page(page, 404, "Link not found")


async def test_json_response_type_returns_the_url(browser: Browser) -> None:
    response = await browser.client.get(
        "/v2/evse_onboarding",
        params={"response_type": "json", "make_id": make_uid("Zaptec")},
        headers=browser.auth(),
    )
    assert response.status_code == 200
    assert "/onboarding/onb" in response.json()["url"]


async def test_json_response_type_needs_a_make_or_model(browser: Browser) -> None:
    response = await browser.client.get(
        "/v2/evse_onboarding", params={"response_type": "json"}, headers=browser.auth()
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/problems/validation-failed-evse-onboarding")


async def test_onboarding_needs_a_user_token(browser: Browser) -> None:
    response = await browser.client.get(
        "/v2/evse_onboarding", headers=browser.auth(browser.app_token)
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("/problems/user-token-required")


@pytest.mark.parametrize("model", ["evsemodel01ZZZZZZZZZZZZZZZZZZZZZZZZ"])
async def test_unknown_model_is_a_404(browser: Browser, model: str) -> None:
    response = await browser.client.get(
        "/v2/evse_onboarding", params={"model_id": model}, headers=browser.auth()
    )
    assert response.status_code == 404
    assert response.json()["type"].endswith("/problems/evse-model-not-found")


async def test_an_expired_link_shows_a_clear_page(browser: Browser) -> None:
    session = new_session(
        application_uid=browser.alice.application_uid,
        user_uid=browser.alice.user_uid,
        user_email="driver@alice.example",
        redirect_url="https://alice.example/done",
        now=datetime.now(UTC) - timedelta(hours=1),
        ttl_s=900,
    )
    await browser.sessions.insert(session)
    for step in ("", "/make", "/connect"):
        page = await browser.client.get(f"/onboarding/{session.uid}{step}")
        assert_page(page, 410, "Link expired")


async def test_a_link_opened_in_another_browser_does_nothing(browser: Browser) -> None:
    url = await start(browser, model_id=model_uid("Terra AC Wallbox (22 kW)"))
    await follow(browser, await browser.client.get(url, headers=GB))
    async with httpx.AsyncClient() as stranger:
        for step in ("", "/compatibility", "/connect"):
            page = await stranger.get(url + step, headers=GB)
            assert_page(page, 403, "Open this link from your app")
        for step, form in [
            ("/compatibility", {}),
            ("/connect", {"serial_number": "X1"}),
            ("/authorize", {"decision": "allow"}),
            ("/make", {"evse_make_id": make_uid("Ohme")}),
            ("/waitlist", {"email": "x@example.com"}),
        ]:
            page = await stranger.post(url + step, data=form, headers=GB)
            assert_page(page, 403, "Open this link from your app")
            assert "set-cookie" not in page.headers
    session = await browser.sessions.find(url.rsplit("/", 1)[1])
    assert session is not None and session.evse_uid is None and session.support is None


async def test_a_link_cannot_be_posted_to_before_it_is_opened(browser: Browser) -> None:
    url = await start(browser, model_id=model_uid("Home Pro"))
    async with httpx.AsyncClient() as stranger:
        page = await stranger.post(url + "/authorize", data={"decision": "allow"})
    assert_page(page, 403, "Open this link from your app")


async def test_the_first_page_sets_a_host_only_secure_cookie(browser: Browser) -> None:
    url = await start(browser, model_id=model_uid("Home Pro"))
    async with httpx.AsyncClient() as fresh:
        page = await fresh.get(url)
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-evse-onboarding=")
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes
    assert "domain" not in attributes


@pytest.mark.parametrize(
    ("model", "step"),
    [
        ("JuiceBox 40", "/connect"),
        ("JuiceBox 40", "/authorize"),
        ("Terra AC Wallbox (22 kW)", "/connect"),
        ("Home Pro", "/authorize"),
    ],
)
async def test_connect_and_authorize_need_a_passed_compatibility_check(
    browser: Browser, model: str, step: str
) -> None:
    url = await start(browser, model_id=model_uid(model))
    await browser.client.get(url, headers=GB)
    page = await browser.client.post(url + step, data={"decision": "allow"}, headers=GB)
    assert page.status_code == 303
    assert page.headers["location"] == url + "/compatibility"
    session = await browser.sessions.find(url.rsplit("/", 1)[1])
    assert session is not None and session.evse_uid is None and session.completed_at is None


@pytest.mark.parametrize("step", ["compatibility", "waitlist", "connect", "authorize"])
async def test_posts_before_a_model_is_chosen_go_back_to_the_picker(
    browser: Browser, step: str
) -> None:
    url = await start(browser, make_id=make_uid("Ohme"))
    await browser.client.get(url, headers=GB)
    page = await browser.client.post(f"{url}/{step}", data={"serial_number": "S" * 500})
    assert page.status_code == 303
    assert page.headers["location"] == url + "/model"


async def test_a_user_may_start_only_so_many_sessions_per_hour(browser: Browser) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": browser.busy.client_id,
        "client_secret": browser.busy.client_secret,
        "user_uid": browser.busy.user_uid,
    }
    token = (await browser.client.post("/v2/oauth/token", data=form)).json()["access_token"]
    statuses = [
        (
            await browser.client.get(
                "/v2/evse_onboarding",
                params={"make_id": make_uid("Ohme"), "response_type": "json"},
                headers=browser.auth(token),
            )
        ).status_code
        for _ in range(31)
    ]
    assert statuses == [200] * 30 + [429]
    other = await browser.client.get(
        "/v2/evse_onboarding",
        params={"make_id": make_uid("Ohme"), "response_type": "json"},
        headers=browser.auth(),
    )
    assert other.status_code == 200
