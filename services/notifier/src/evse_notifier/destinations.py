"""Where webhooks may go: public addresses only, unless development allows private ones.

A subscription URL naming a loopback, private, link-local (cloud metadata) or otherwise
non-global address would let a tenant make the platform call into its own network (SSRF).
The host is checked when the subscription is created and again before every delivery, since
what a name resolves to can change in between.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

__all__ = ["UnresolvableHost", "non_public_addresses", "why_not_public"]


class UnresolvableHost(Exception):
    """The host has no address (yet): nothing can be delivered to it."""


async def non_public_addresses(host: str) -> list[str]:
    """The addresses `host` is or resolves to that are not globally routable (empty: public)."""
    literal = host.removeprefix("[").removesuffix("]")
    try:
        addresses = [str(ipaddress.ip_address(literal))]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise UnresolvableHost(f"{host} does not resolve: {exc.strerror or exc}") from exc
        addresses = sorted({str(info[4][0]) for info in infos})
    return [a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_global]


async def why_not_public(host: str) -> str | None:
    """Why webhooks may not go to `host` (no address, or a non-public one), or None."""
    try:
        private = await non_public_addresses(host)
    except UnresolvableHost as exc:
        return str(exc)
    if private:
        return f"{host} resolves to a non-public address ({', '.join(private)})"
    return None
