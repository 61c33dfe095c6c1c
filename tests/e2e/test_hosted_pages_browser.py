"""The hosted pages and the API docs in a real browser (Debian's Chromium through Playwright).

The application's redirect URL is a callback server on another origin, as for any real app:
every flow must end there with its OAuth-style parameters, at a phone's and a desktop's
width. axe-core checks every page state, and a screenshot of each is kept for review.
A browser that cannot start fails the test: it is never skipped.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from evse_devstack.demo import run_admin
from evse_devstack.stack import Stack
from evse_vendor_simulator.seed import SEED_ACCOUNTS, account_username, seed_for
from tests.utils.factories import model_uid
from tests.utils.services import running_asgi

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "tests" / "artifacts" / "screenshots"
"""Written on every run (ignored by git); a reviewed set is committed in `docs/screenshots/`."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"mobile": 390, "desktop": 1280}
OWNER = account_username("carol")
"""The vendor-account holder whose chargers these flows connect (other e2e tests use the rest)."""
VENDOR_FLOW = {
    "mobile": ("wallbox", "Wallbox", "Pulsar Plus (EU)"),
    "desktop": ("easee", "Easee", "Easee Home"),
}
OCPP_MODEL = "Terra AC Wallbox (22 kW)"
NORTH_AMERICA_ONLY = "Home Flex (CPH50, J1772)"


@dataclass
class Callback:
    """The application's redirect target on another origin: what it was sent."""

    url: str = ""
    received: list[dict[str, list[str]]] = field(default_factory=list)


@dataclass
class Tenant:
    client_id: str
    client_secret: str
    user_token: dict[str, str]


@pytest_asyncio.fixture(scope="module")
async def callback() -> AsyncIterator[Callback]:
    seen = Callback()

    async def landing(request: Request) -> HTMLResponse:
        seen.received.append(parse_qs(request.url.query))
        return HTMLResponse("<!doctype html><title>App</title><h1>Back in the app</h1>")

    async with running_asgi(Starlette(routes=[Route("/callback", landing)])) as url:
        seen.url = f"{url}/callback"
        yield seen


@pytest_asyncio.fixture(scope="module")
async def tenant(e2e_stack: Stack, callback: Callback) -> AsyncIterator[Tenant]:
    app = run_admin(
        [
            "create-application",
            "--name",
            "Charge Buddy",
            "--redirect-url",
            f"{callback.url}?from=app",
        ],
        e2e_stack.env,
    )
    user = run_admin(
        ["create-user", "--client-id", app["client_id"], "--email", OWNER], e2e_stack.env
    )
    async with httpx.AsyncClient(base_url=e2e_stack.base_url, timeout=30) as http:
        answer = await http.post(
            "/v2/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "user_uid": user["user_uid"],
            },
        )
        assert answer.status_code == 200, answer.text
        token = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    yield Tenant(app["client_id"], app["client_secret"], token)


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium is not None, "Debian's chromium is not installed: run `make browser`"
    assert AXE.exists(), "axe-core is not installed: run `make browser`"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def new_page(browser: Browser, width: str, locale: str) -> Page:
    # axe is injected as a script: the pages' CSP (no scripts at all) is bypassed for it only.
    context = await browser.new_context(
        viewport={"width": WIDTHS[width], "height": 844 if width == "mobile" else 800},
        locale=locale,
        bypass_csp=True,
    )
    return await context.new_page()


async def check(page: Page, state: str, width: str) -> None:
    """axe-core finds no violation on this page state; keep a screenshot for review."""
    await page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = await page.evaluate("axe.run(document)")
    violations = [(v["id"], v["help"], len(v["nodes"])) for v in result["violations"]]
    assert violations == [], f"{state} at {width}: {violations}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{state}-{width}.png"), full_page=True)


async def start(e2e_stack: Stack, tenant: Tenant, state: str, **params: str) -> str:
    async with httpx.AsyncClient(base_url=e2e_stack.base_url, timeout=30) as http:
        answer = await http.get(
            "/v2/evse_onboarding",
            params={"state": state, **params},
            headers=tenant.user_token,
        )
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def arrived(page: Page, callback: Callback, state: str) -> dict[str, list[str]]:
    """The browser is at the application's callback, which got this flow's parameters."""
    assert page.url.startswith(callback.url), page.url
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == [state] and query["from"] == ["app"]
    assert query in callback.received
    return query


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_a_vendor_charger_is_connected_and_the_browser_lands_at_the_app(
    e2e_stack: Stack, tenant: Tenant, callback: Callback, browser: Browser, width: str
) -> None:
    vendor, make, model = VENDOR_FLOW[width]
    account = next(a for a in SEED_ACCOUNTS if a.vendor == vendor and a.username == OWNER)
    serial = next(c.serial_number for c in seed_for(vendor) if c.owner == OWNER)
    page = await new_page(browser, width, "en-US")
    await page.goto(await start(e2e_stack, tenant, f"vendor-{width}"))
    await check(page, "1-make", width)
    await page.get_by_label(make, exact=True).check()
    await page.get_by_role("button", name="Continue").click()
    await check(page, "2-model", width)
    await page.get_by_label(re.compile(re.escape(model))).check()
    await page.get_by_role("button", name="Continue").click()
    # An en-US browser is taken to be in the US, where this charger is not supported: the
    # page says so, and the user corrects the country.
    await page.get_by_text("not supported in United States").wait_for()
    await check(page, "3-compatibility-wrong-country", width)
    await page.get_by_label("Country").select_option("DE")
    await page.get_by_role("button", name="Check again").click()
    await page.get_by_text("works with us in Germany").wait_for()
    await check(page, "3-compatibility", width)
    await page.get_by_role("button", name="Connect my charger").click()
    await page.get_by_label(re.compile("email or username")).fill(account.username)
    await page.get_by_label(re.compile("password")).fill("not-the-password")
    await page.get_by_role("button", name=re.compile("Sign in")).click()
    await page.get_by_role("alert").wait_for()
    await check(page, "4-vendor-sign-in-refused", width)
    await page.get_by_label(re.compile("password")).fill(account.password)
    await page.get_by_role("button", name=re.compile("Sign in")).click()
    await page.get_by_label("Serial number").fill("NOT-MY-CHARGER")
    await page.get_by_role("button", name="Connect").click()
    await page.get_by_role("alert").wait_for()
    await check(page, "5-serial-not-found", width)
    await page.get_by_label("Serial number").fill(serial)
    await page.get_by_role("button", name="Connect").click()
    await page.get_by_role("heading", name="Back in the app").wait_for()
    query = arrived(page, callback, f"vendor-{width}")
    assert query["evse_uid"][0].startswith("evse") and query["evse_id"][0].isdigit()


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_an_ocpp_charger_gets_its_settings_then_the_browser_returns_to_the_app(
    e2e_stack: Stack, tenant: Tenant, callback: Callback, browser: Browser, width: str
) -> None:
    page = await new_page(browser, width, "de-DE")
    await page.goto(await start(e2e_stack, tenant, f"ocpp-{width}", model_id=model_uid(OCPP_MODEL)))
    await page.get_by_role("button", name="Connect my charger").click()
    await check(page, "6-ocpp", width)
    await page.get_by_role("button", name=re.compile("settings")).click()
    await page.get_by_text("Charge point identity").wait_for()
    await check(page, "7-ocpp-credentials", width)
    await page.get_by_role("link", name="Back to Charge Buddy", exact=True).click()
    await page.get_by_role("heading", name="Back in the app").wait_for()
    query = arrived(page, callback, f"ocpp-{width}")
    assert query["evse_uid"][0].startswith("evse")


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_an_unsupported_charger_joins_the_waitlist_and_the_app_learns_it(
    e2e_stack: Stack, tenant: Tenant, callback: Callback, browser: Browser, width: str
) -> None:
    page = await new_page(browser, width, "de-DE")
    start_url = await start(
        e2e_stack, tenant, f"waitlist-{width}", model_id=model_uid(NORTH_AMERICA_ONLY)
    )
    await page.goto(start_url)
    await page.get_by_text("not supported in Germany").wait_for()
    await page.get_by_role("button", name="Notify me").click()
    await page.get_by_role("heading", name="You are on the list").wait_for()
    await check(page, "8-waitlist-joined", width)
    await page.get_by_role("link", name="Back to Charge Buddy", exact=True).click()
    await page.get_by_role("heading", name="Back in the app").wait_for()
    query = arrived(page, callback, f"waitlist-{width}")
    assert query["error"] == ["unsupported_evse"] and query["error_description"]
    await page.goto(start_url)
    await page.get_by_role("heading", name="Already done").wait_for()
    await check(page, "9-finished-link", width)


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_cancel_returns_to_the_app_with_access_denied(
    e2e_stack: Stack, tenant: Tenant, callback: Callback, browser: Browser, width: str
) -> None:
    page = await new_page(browser, width, "de-DE")
    await page.goto(await start(e2e_stack, tenant, f"cancel-{width}"))
    await page.get_by_role("link", name="Cancel and go back to Charge Buddy").click()
    await page.get_by_role("heading", name="Back in the app").wait_for()
    query = arrived(page, callback, f"cancel-{width}")
    assert query["error"] == ["access_denied"]
    await page.goto(f"{e2e_stack.base_url}/onboarding/not-a-session")
    await page.get_by_role("heading", name="Link not found").wait_for()
    await check(page, "10-unknown-link", width)


async def test_the_docs_authorize_with_client_credentials_and_try_it_out(
    e2e_stack: Stack, tenant: Tenant, browser: Browser
) -> None:
    page = await new_page(browser, "desktop", "en-US")
    await page.goto(f"{e2e_stack.base_url}/docs")
    await page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    await dialog.locator("input[id^=client_id]").fill(tenant.client_id)
    await dialog.locator("input[id^=client_secret]").fill(tenant.client_secret)
    await dialog.locator("button.modal-btn.authorize").first.click()
    await dialog.locator("button:has-text('Logout')").first.wait_for()
    await dialog.locator("button.btn-done").first.click()
    operation = page.locator(".opblock-get").filter(
        has=page.locator(".opblock-summary-path[data-path='/v2/evses']")
    )
    await operation.locator(".opblock-summary").first.click()
    await operation.locator("button.try-out__btn").click()
    await operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tr.response .response-col_status").first
    await status.wait_for()
    assert (await status.inner_text()).strip() == "200"
