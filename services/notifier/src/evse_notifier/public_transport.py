"""An httpx transport that connects only to addresses vetted at the moment of connecting.

httpcore asks its network backend to connect to a host name; this backend resolves the name
once, refuses it unless every address is public (`destinations.is_public`), and connects to
the vetted IP literal, which is not resolved again. TLS still verifies the certificate for the
URL's host name (httpcore passes it separately as the server name), so nothing else changes.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from .destinations import UnresolvableHost, is_public, resolve

__all__ = ["NotPublic", "public_transport"]


class NotPublic(httpcore.ConnectError):
    """The destination is, or resolves to, a non-public address."""


class _PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve(host)
        except UnresolvableHost as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        if not addresses or not all(is_public(address) for address in addresses):
            raise NotPublic(f"{host} is not a public address")
        return await self._inner.connect_tcp(
            addresses[0], port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise NotPublic("webhooks do not go to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def public_transport(tls: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport, its connection pool built on the public-only backend."""
    transport = httpx.AsyncHTTPTransport(verify=tls, limits=limits)
    # httpx takes no network backend; its pool (`_pool`, httpx 0.28) is rebuilt with ours.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=tls,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_PublicOnlyBackend(),
    )
    return transport
