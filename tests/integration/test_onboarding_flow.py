"""The hosted onboarding flow driven through its pages over HTTP, as a browser would: the
journeys from make to the way back, the order of the steps, and starting a session.

The link as a capability (unknown, used, expired, bound to one browser) is in
test_onboarding_links.py.
"""

from __future__ import annotations

import re

import pytest

from tests.integration.hosted_pages import (
    GB,
    Browser,
    assert_page,
    browser_fixture,
    follow,
    query_of,
    start,
)
from tests.utils.factories import make_uid, model_uid
from tests.utils.vendor_links import form_action

browser = browser_fixture("test_onboarding_flow")


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
