"""Who is calling, by network address: the client IP behind trusted proxies, and the key a
rate limit counts it under (`rate_limit.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from fastapi import Request

from .settings import GatewaySettings

__all__ = ["IPAddress", "IPNetwork", "caller_address", "client_address", "client_key"]

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]
) -> IPAddress | None:
    """The caller's IP: the peer, or behind trusted proxies the right-most untrusted hop.

    `X-Forwarded-For` is read only when the peer is a trusted proxy; it is walked from the
    right (the hop our own proxy appended) past trusted addresses. An unparsable hop ends
    the walk at the last address a trusted proxy vouched for.
    """
    address = _parse(peer)
    if address is None or not _is_trusted(address, trusted):
        return address
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        candidate = _parse(hop)
        if candidate is None:
            break
        address = candidate
        if not _is_trusted(candidate, trusted):
            break
    return address


def client_key(address: IPAddress | None) -> str:
    """A KV-safe key token for the client: IPv4 whole, IPv6 by /48 (the block one site gets;
    by /64 a subscriber holding a /48 would have 65,536 fresh quotas)."""
    if address is None:
        return "unknown"
    if isinstance(address, IPv4Address):
        return f"v4_{address.packed.hex()}"
    return f"v6_{address.packed[:6].hex()}"


def caller_address(request: Request) -> IPAddress | None:
    """The request's client IP, through the trusted proxies (see `client_address`)."""
    settings: GatewaySettings = request.app.state.settings
    peer = request.client.host if request.client else None
    return client_address(
        peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxies
    )


def _parse(value: str | None) -> IPAddress | None:
    """An address as a peer or an `X-Forwarded-For` hop gives it, `:port` (some load
    balancers add one, `[v6]:port` too) set aside."""
    if not value:
        return None
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ip_address(value)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in trusted)
