"""Webhook destinations: only public addresses, vetted at the moment a delivery connects."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from evse_notifier.destinations import is_public, non_public_addresses
from evse_notifier.sender import Sender, sending_client

LIMITS = httpx.Limits(max_connections=2, max_keepalive_connections=2)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "[::1]", "10.0.0.7", "192.168.1.1", "169.254.169.254", "fd00::1", "localhost"],
)
async def test_loopback_private_and_link_local_hosts_are_not_public(host: str) -> None:
    assert await non_public_addresses(host)


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:808:808::",  # 6to4, even of a public address
        "2001::1",  # Teredo
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "192.0.0.8",
        "224.0.0.1",
        "ff02::1",
        "0.0.0.0",
        "100.64.0.1",
        "198.18.0.1",
        "240.0.0.1",
    ],
)
def test_addresses_that_embed_or_reach_non_public_ones_are_refused(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "::ffff:1.1.1.1"])
def test_global_unicast_addresses_are_public(address: str) -> None:
    assert is_public(address)


async def receiver() -> tuple[asyncio.Server, int, list[bytes]]:
    """A plain TCP server on loopback recording what reaches it."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.read(4096))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


@pytest.fixture
async def loopback() -> AsyncIterator[tuple[int, list[bytes]]]:
    server, port, seen = await receiver()
    async with server:
        yield port, seen


async def send(client: httpx.AsyncClient, url: str) -> Any:
    return await Sender(client).send(url=url, secret="s", body=b"{}", delivery_id="d", timeout_s=2)


async def test_a_name_that_rebinds_to_loopback_after_the_check_gets_nothing(
    loopback: tuple[int, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review L1's reproduction: public for the first lookup, 127.0.0.1 for any later one."""
    port, seen = loopback
    lookups: list[str] = []
    real = socket.getaddrinfo

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return real(host, *args, **kwargs)
        lookups.append(host)
        address = "8.8.8.8" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    async with sending_client(ssl.create_default_context(), LIMITS, False) as client:
        outcome = await send(client, f"http://rebind.example:{port}/hook")
    assert not outcome.delivered
    assert seen == []
    assert lookups == ["rebind.example"]


async def test_a_loopback_receiver_is_refused_outside_development_only(
    loopback: tuple[int, list[bytes]],
) -> None:
    port, seen = loopback
    url = f"http://127.0.0.1:{port}/hook"
    async with sending_client(ssl.create_default_context(), LIMITS, False) as client:
        refused = await send(client, url)
    async with sending_client(ssl.create_default_context(), LIMITS, True) as client:
        allowed = await send(client, url)
    assert not refused.delivered
    assert refused.error == "the receiver's address is not a public address"
    assert allowed.delivered and len(seen) == 1


async def test_how_a_connection_failed_is_not_told(loopback: tuple[int, list[bytes]]) -> None:
    """A refused port and a receiver that never answers read the same (no port scanning)."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    silent = await asyncio.start_server(lambda r, w: asyncio.sleep(3600), "127.0.0.1", 0)
    silent_port = silent.sockets[0].getsockname()[1]
    async with silent, sending_client(ssl.create_default_context(), LIMITS, True) as client:
        refused = await Sender(client).send(
            url=f"http://127.0.0.1:{closed_port}/", secret="s", body=b"{}", delivery_id="d",
            timeout_s=0.5,
        )  # fmt: skip
        timed_out = await Sender(client).send(
            url=f"http://127.0.0.1:{silent_port}/", secret="s", body=b"{}", delivery_id="d",
            timeout_s=0.5,
        )  # fmt: skip
    assert refused.error == timed_out.error == "the receiver could not be reached"
