"""The hosted onboarding flow driven through its pages over HTTP, as a browser would."""

from __future__ import annotations

import base64
import re
import secrets
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
from evse_onboarding.identity_store import Application, MongoIdentityStore, User
from evse_onboarding.sessions import new_session
from evse_onboarding.sessions_store import MongoSessionStore
from evse_runtime.mongo import open_database
from tests.utils.factories import Tenant, create_tenant, make_uid, model_uid
from tests.utils.services import (
    running_bridge,
    running_catalogue,
    running_gateway,
    running_onboarding,
)
from tests.utils.tokens import issued_token

SEED = load_seed()
GB = {"Accept-Language": "en-GB,en;q=0.8"}
SESSIONS_PER_USER = 100


@dataclass(frozen=True)
class Browser:
    client: httpx.AsyncClient
    sessions: MongoSessionStore
    identities: MongoIdentityStore
    alice: Tenant
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
            nats_url=nats_url,
            port=port,
            jwt_public_key_file=keys.public_key_file,
            onboarding_sessions_per_user=SESSIONS_PER_USER,
            rate_limit_bucket=f"onboarding_flow_{port}",
        ) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        app_token = await issued_token(client, alice)
        user_token = await issued_token(client, alice, user_uid=alice.user_uid)
        yield Browser(
            client,
            MongoSessionStore(onboarding.db),
            MongoIdentityStore(onboarding.db),
            alice,
            user_token,
            app_token,
        )


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


async def test_a_make_without_integration_offers_the_waitlist_not_a_simulated_consent(
    browser: Browser,
) -> None:
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
    html = assert_page(page, 200, "Ohme is not connected yet")
    assert "simulated" not in html.lower() and 'action="' in html
    assert form_action(html).endswith("/waitlist")
    consent = await browser.client.post(
        page.url.copy_with(path=page.url.path.replace("/connect", "/authorize")),
        data={"decision": "allow"},
    )
    assert consent.status_code == 303 and consent.headers["location"].endswith("/connect")
    done = await browser.client.post(
        form_action(html), data={"email": "driver@alice.example"}, headers=GB
    )
    assert_page(done, 200, "You are on the list")


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
    url = await start(browser, model_id=model_uid("Terra AC Wallbox (22 kW)"))
    de = {"Accept-Language": "de-DE"}
    await follow(browser, await browser.client.get(url, headers=de))
    await browser.client.post(url + "/compatibility", headers=de)
    settings = await browser.client.post(url + "/connect")
    assert settings.status_code == 200
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
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    session = new_session(
        application=Application(
            uid=browser.alice.application_uid,
            name="alice",
            client_id=browser.alice.client_id,
            client_secret_hash="",
            onboarding_redirect_url="https://alice.example/done",
            program_id=None,
            created_at=an_hour_ago,
        ),
        user=User(
            uid=browser.alice.user_uid,
            application_uid=browser.alice.application_uid,
            email="driver@alice.example",
            created_at=an_hour_ago,
        ),
        now=an_hour_ago,
        ttl_s=900,
    )
    await browser.sessions.insert(session)
    for step in ("", "/make", "/connect"):
        page = await browser.client.get(f"/onboarding/{session.uid}{step}")
        assert_page(page, 410, "Link expired")


def query_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


async def test_pages_allow_their_final_redirect_to_reach_the_applications_origin(
    browser: Browser,
) -> None:
    page = await browser.client.get(await start(browser), headers=GB)
    policy = page.headers["content-security-policy"]
    assert "form-action 'self' https://alice.example;" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy


async def test_cancel_returns_to_the_application_with_access_denied_and_its_state(
    browser: Browser,
) -> None:
    url = await start(browser, state="s-1")
    cancelled = await browser.client.get(url + "/cancel")
    assert cancelled.status_code == 302
    assert cancelled.headers["location"].startswith("https://alice.example/done?")
    query = query_of(cancelled.headers["location"])
    assert query["error"] == ["access_denied"] and query["state"] == ["s-1"]
    later = await browser.client.get(url)
    html = assert_page(later, 410, "Already done")
    assert cancelled.headers["location"].replace("&", "&amp;") in html


async def test_joining_the_waitlist_ends_with_a_way_back_reporting_unsupported(
    browser: Browser,
) -> None:
    url = await start(browser, model_id=model_uid("JuiceBox 40"), state="w-1")
    await follow(browser, await browser.client.get(url, headers=GB))
    done = await browser.client.post(
        url + "/waitlist", data={"email": "driver@alice.example"}, headers=GB
    )
    html = assert_page(done, 200, "You are on the list")
    back = re.search(r'<a class="button" href="([^"]+)">Back to ', html)
    assert back is not None, html
    query = query_of(back.group(1).replace("&amp;", "&"))
    assert query["error"] == ["unsupported_evse"] and query["state"] == ["w-1"]


async def test_the_user_picks_the_country_the_compatibility_check_uses(browser: Browser) -> None:
    url = await start(browser, model_id=model_uid("Zaptec Go"))
    us = {"Accept-Language": "en-US"}
    page = await browser.client.get(url + "/compatibility", headers=us)
    html = assert_page(page, 200, "Not supported yet")
    assert "Checked for United States, from your browser" in html
    await browser.client.post(url + "/country", data={"country": "NO"}, headers=us)
    page = await browser.client.get(url + "/compatibility", headers=us)
    html = assert_page(page, 200, "Your charger works with us")
    assert "Checked for Norway." in html
    ignored = await browser.client.post(url + "/country", data={"country": "XX"}, headers=us)
    assert ignored.status_code == 303
    assert "Norway" in (await browser.client.get(url + "/compatibility", headers=us)).text


@pytest.mark.parametrize("path", ["/onboarding/x/Not-A-Step", "/onboarding/" + "x" * 65])
async def test_malformed_page_urls_get_a_page_not_a_problem_document(
    browser: Browser, path: str
) -> None:
    answer = await browser.client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in answer.text


async def test_session_links_are_unguessable_capabilities(browser: Browser) -> None:
    """256 random bits each: no two links of one burst are near neighbours (ULIDs were +1)."""
    urls = [await start(browser, model_id=model_uid("Home Pro")) for _ in range(20)]
    uids = [url.rsplit("/", 1)[1] for url in urls]
    assert all(re.fullmatch(r"onb[A-Za-z0-9_-]{43}", uid) for uid in uids), uids
    values = sorted(int.from_bytes(base64.urlsafe_b64decode(uid[3:] + "="), "big") for uid in uids)
    assert min(b - a for a, b in zip(values, values[1:], strict=False)) > 2**128


async def test_the_charge_point_id_reveals_nothing_of_the_link(browser: Browser) -> None:
    url = await start(browser, model_id=model_uid("Terra AC Wallbox (22 kW)"))
    page = await follow(browser, await browser.client.get(url, headers=GB))
    page = await follow(browser, await browser.client.post(form_action(page.text), headers=GB))
    charge_point_id = re.search(r"<code>CP-([^<]+)</code>", page.text)
    assert charge_point_id is not None, page.text
    assert charge_point_id.group(1)[:4] not in url.rsplit("/", 1)[1]


@pytest.mark.parametrize(
    ("step", "form"),
    [
        ("make", {"evse_make_id": make_uid("Ohme")}),
        ("model", {"evse_model_id": model_uid("Home Pro")}),
        ("compatibility", {}),
        ("waitlist", {"email": "x@example.com"}),
        ("connect", {}),
        ("authorize", {"decision": "allow"}),
    ],
)
async def test_a_link_opened_in_one_browser_serves_no_other(
    browser: Browser, step: str, form: dict[str, str]
) -> None:
    url = await start(browser)
    assert_page(
        await follow(browser, await browser.client.get(url, headers=GB)),
        200,
        "Choose your charger brand",
    )
    async with httpx.AsyncClient(base_url=str(browser.client.base_url)) as other:
        assert_page(
            await other.post(f"{url}/{step}", data=form), 403, "Open the link in your browser"
        )
        assert_page(await other.get(url), 403, "Open the link in your browser")
        other.cookies.set("evse_browser", "A" * 43)
        assert_page(await other.get(f"{url}/make"), 403, "Open the link in your browser")
    # the browser that opened it carries on
    page = await browser.client.post(f"{url}/make", data={"evse_make_id": make_uid("Ohme")})
    assert page.status_code == 303, page.text


@pytest.mark.parametrize("step", ["make", "compatibility", "connect", "authorize"])
async def test_a_post_to_a_link_never_opened_is_refused(browser: Browser, step: str) -> None:
    url = await start(browser, model_id=model_uid("Home Pro"))
    async with httpx.AsyncClient(base_url=str(browser.client.base_url)) as other:
        page = await other.post(f"{url}/{step}", data={"decision": "allow"})
    assert_page(page, 403, "Open the link in your browser")
    assert_page(
        await follow(browser, await browser.client.get(url, headers=GB)),
        200,
        "Your charger works with us",
    )


async def test_the_browser_cookie_is_http_only_and_same_site(browser: Browser) -> None:
    url = await start(browser, model_id=model_uid("Home Pro"))
    async with httpx.AsyncClient(base_url=str(browser.client.base_url)) as fresh:
        page = await fresh.get(url)
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("evse_browser=") and "HttpOnly" in cookie and "SameSite=lax" in cookie


async def test_one_user_may_start_only_so_many_sessions(browser: Browser) -> None:
    params = {"model_id": model_uid("Home Pro"), "response_type": "json"}
    limited = await create_tenant(browser.identities, f"limited-{secrets.token_hex(4)}")
    token = await issued_token(browser.client, limited, user_uid=limited.user_uid)
    headers = browser.auth(token)  # a user of its own: a rerun starts from a fresh count
    for _ in range(SESSIONS_PER_USER):
        started = await browser.client.get("/v2/evse_onboarding", params=params, headers=headers)
        assert started.status_code == 200, started.text
    refused = await browser.client.get("/v2/evse_onboarding", params=params, headers=headers)
    assert refused.status_code == 429, refused.text
    assert refused.json()["type"].endswith("/problems/rate-limited")
    assert int(refused.headers["retry-after"]) > 0
    # another user of the same gateway is not affected
    assert (await start(browser, model_id=model_uid("Home Pro"))).startswith("http")


async def test_the_gateway_never_logs_a_session_id(
    browser: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    url = await start(browser, model_id=model_uid("Home Pro"))
    await follow(browser, await browser.client.get(url, headers=GB))
    await browser.client.post(url + "/compatibility", headers=GB)
    logged = capsys.readouterr().out
    assert "/onboarding/{session}" in logged
    assert url.rsplit("/", 1)[1] not in logged


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


@pytest.mark.parametrize(
    "form", [{"serial_number": "X" * 1001}, {f"field{i}": "x" for i in range(17)}]
)
async def test_an_oversized_form_gets_a_page_and_never_reaches_the_flow(
    browser: Browser, form: dict[str, str]
) -> None:
    url = await start(browser)
    answer = await browser.client.post(url + "/connect", data=form)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>This form is too large</h1>" in answer.text
