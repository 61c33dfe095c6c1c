"""Webhook destinations: only publicly routable addresses, checked again at delivery."""

from __future__ import annotations

import httpx
import pytest

from evse_notifier.destinations import non_public_addresses
from evse_notifier.sender import Sender


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "[::1]", "10.0.0.7", "192.168.1.1", "169.254.169.254", "fd00::1", "localhost"],
)
async def test_loopback_private_and_link_local_hosts_are_not_public(host: str) -> None:
    assert await non_public_addresses(host)


@pytest.mark.parametrize("host", ["8.8.8.8", "[2001:4860:4860::8888]", "1.1.1.1"])
async def test_global_addresses_are_public(host: str) -> None:
    assert await non_public_addresses(host) == []


async def test_a_delivery_to_a_non_public_address_is_refused_without_a_call() -> None:
    calls: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        refusing = Sender(client, allow_private_addresses=False)
        outcome = await refusing.send(
            url="https://127.0.0.1/hook", secret="s", body=b"{}", delivery_id="d", timeout_s=1
        )
        allowing = Sender(client, allow_private_addresses=True)
        allowed = await allowing.send(
            url="https://127.0.0.1/hook", secret="s", body=b"{}", delivery_id="d", timeout_s=1
        )
    assert not outcome.delivered and outcome.error is not None
    assert "non-public" in outcome.error
    assert allowed.delivered and len(calls) == 1
