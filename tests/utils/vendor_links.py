"""Linking a user's vendor account through the hosted sign-in page, as a browser does."""

from __future__ import annotations

import re

import httpx

from evse_vendor_simulator.seed import SEED_ACCOUNTS, SeedAccount

__all__ = ["form_action", "link_vendor_account", "seeded_account"]


def form_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


def seeded_account(provider: str, username: str) -> SeedAccount:
    return next(a for a in SEED_ACCOUNTS if a.vendor == provider and a.username == username)


def link_vendor_account(
    client: httpx.Client,
    user: dict[str, str],
    provider: str,
    username: str,
    password: str | None = None,
) -> httpx.Response:
    """Start `GET /v2/vendor_accounts/link`, sign in on the page; the page's last answer
    (303 back to the application when the vendor accepted)."""
    started = client.get(
        "/v2/vendor_accounts/link",
        params={"provider": provider, "response_type": "json"},
        headers=user,
    )
    assert started.status_code == 200, started.text
    page = client.get(started.json()["url"])
    page = client.get(page.headers["location"])
    assert page.status_code == 200 and "Sign in to" in page.text, page.text
    return client.post(
        form_action(page.text),
        data={
            "username": username,
            "password": password or seeded_account(provider, username).password,
        },
    )
