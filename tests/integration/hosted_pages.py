"""A browser on the hosted onboarding pages, behind a real gateway, for the onboarding tests.

`browser_fixture(name)` is a module's `browser` fixture: `open_browser` starts onboarding,
catalogue, bridge and gateway on the shared NATS and MongoDB, with databases named `name`,
and signs in alice's user.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest_asyncio

from evse_devstack.keys import KeyPair
from evse_devstack.processes import free_port
from evse_onboarding.identity_store import MongoIdentityStore
from evse_onboarding.sessions_store import MongoSessionStore
from evse_runtime.mongo import open_database
from tests.utils.factories import Tenant, create_tenant
from tests.utils.services import (
    running_bridge,
    running_catalogue,
    running_gateway,
    running_onboarding,
)
from tests.utils.tokens import issued_token

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


@asynccontextmanager
async def open_browser(
    database: str, *, nats_url: str, mongodb_url: str, keys: KeyPair
) -> AsyncIterator[Browser]:
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
        running_catalogue(nats_url=nats_url, mongodb_url=mongodb_url, database=f"{database}_cat"),
        running_bridge(
            nats_url=nats_url,
            mongodb_url=mongodb_url,
            database=f"{database}_bridge",
            simulator_url="http://127.0.0.1:9",
        ),
        running_gateway(
            nats_url=nats_url,
            port=port,
            jwt_public_key_file=keys.public_key_file,
            onboarding_sessions_per_user=SESSIONS_PER_USER,
            rate_limit_bucket=f"{database}_{port}",
        ) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
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


def browser_fixture(database: str) -> Callable[..., AsyncIterator[Browser]]:
    """A module-scoped `browser` fixture on databases named `database`."""

    @pytest_asyncio.fixture(scope="module")
    async def browser(nats_url: str, mongodb_url: str, keys: KeyPair) -> AsyncIterator[Browser]:
        async with open_browser(
            database, nats_url=nats_url, mongodb_url=mongodb_url, keys=keys
        ) as opened:
            yield opened

    return browser


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


def assert_page(response: httpx.Response, status: int, heading: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert f"<h1>{heading}</h1>" in response.text, response.text
    return response.text


def query_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)
