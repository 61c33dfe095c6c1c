"""A hosted onboarding link as a capability, over HTTP: unguessable, bound to the browser
that opened it, finished once, expiring, limited per user, never logged; and a clear page
(never a problem document or a stack trace) for every link that does not work.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from evse_onboarding.identity import Application, User
from evse_onboarding.sessions import new_session
from tests.integration.hosted_pages import (
    GB,
    SESSIONS_PER_USER,
    Browser,
    assert_page,
    browser_fixture,
    follow,
    start,
)
from tests.utils.factories import create_tenant, make_uid, model_uid
from tests.utils.tokens import issued_token
from tests.utils.vendor_links import form_action

browser = browser_fixture("test_onboarding_links")


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
    async with httpx.AsyncClient(base_url=str(browser.client.base_url), timeout=30) as other:
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
    async with httpx.AsyncClient(base_url=str(browser.client.base_url), timeout=30) as other:
        page = await other.post(f"{url}/{step}", data={"decision": "allow"})
    assert_page(page, 403, "Open the link in your browser")
    assert_page(
        await follow(browser, await browser.client.get(url, headers=GB)),
        200,
        "Your charger works with us",
    )


async def test_the_browser_cookie_is_http_only_and_same_site(browser: Browser) -> None:
    url = await start(browser, model_id=model_uid("Home Pro"))
    async with httpx.AsyncClient(base_url=str(browser.client.base_url), timeout=30) as fresh:
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
