"""Where webhooks may go: public addresses only, unless development allows private ones.

A subscription URL naming a loopback, private, link-local (cloud metadata) or otherwise
non-global address would let a tenant make the platform call into its own network (SSRF).
The host is checked when the subscription is created, and every delivery connects only to an
address checked at that moment (`public_transport`): a name that resolves to a public address
for the check and a private one for the connection (DNS rebinding) gets nowhere.

Python's `is_global` is not enough (review L1): it passes NAT64 (`64:ff9b::/96`, which an
IPv6-only cluster routes to internal IPv4), 6to4 and IPv4-compatible forms of private
addresses, depending on the patch release. Those ranges are refused outright, and an
IPv4-mapped address is judged as the IPv4 address it maps; 192.0.0.0/24 likewise.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

__all__ = ["UnresolvableHost", "is_public", "non_public_addresses", "why_not_public"]

_EMBEDDING_V4 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "64:ff9b::/96",  # NAT64, well-known prefix
        "64:ff9b:1::/48",  # NAT64, local-use prefix
        "2002::/16",  # 6to4
        "2001::/32",  # Teredo
        "::/96",  # IPv4-compatible (deprecated)
    )
)


_NOT_GLOBAL_V4 = (ipaddress.IPv4Network("192.0.0.0/24"),)
"""IETF protocol assignments: `is_global` on some 3.11 releases only."""


class UnresolvableHost(Exception):
    """The host has no address (yet): nothing can be delivered to it."""


def is_public(address: str) -> bool:
    """True for a unicast address that is globally routable and embeds no other address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(str(ip.ipv4_mapped))
        if any(ip in net for net in _EMBEDDING_V4):
            return False
    elif any(ip in net for net in _NOT_GLOBAL_V4):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


async def resolve(host: str) -> list[str]:
    """Every address `host` is or resolves to."""
    literal = host.removeprefix("[").removesuffix("]")
    try:
        return [str(ipaddress.ip_address(literal))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnresolvableHost(f"{host} does not resolve: {exc.strerror or exc}") from exc
    return sorted({str(info[4][0]) for info in infos})


async def non_public_addresses(host: str) -> list[str]:
    """The addresses `host` is or resolves to that are not public (empty: all public)."""
    return [a for a in await resolve(host) if not is_public(a)]


async def why_not_public(host: str) -> str | None:
    """Why webhooks may not go to `host` (no address, or a non-public one), or None."""
    try:
        private = await non_public_addresses(host)
    except UnresolvableHost as exc:
        return str(exc)
    if private:
        return f"{host} resolves to a non-public address ({', '.join(private)})"
    return None
