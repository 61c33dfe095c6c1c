"""Who an anonymous caller is, for the rate limits (review L7)."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address

import pytest

from evse_gateway.rate_limit import client_address, client_key

PROXIES = [IPv4Network("10.0.0.0/8")]


@pytest.mark.parametrize(
    ("hop", "caller"),
    [
        ("9.9.9.9", "9.9.9.9"),
        ("9.9.9.9:1234", "9.9.9.9"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:db8::7", "2001:db8::7"),
    ],
)
def test_a_hop_with_a_port_names_its_address(hop: str, caller: str) -> None:
    assert client_address("10.1.2.3", [hop], PROXIES) == ip_address(caller)


def test_a_hop_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address("198.51.100.7", ["9.9.9.9"], PROXIES) == ip_address("198.51.100.7")


def test_ipv6_callers_share_a_quota_per_48() -> None:
    site = IPv6Network("2001:db8:aa::/48")
    keys = {client_key(ip_address(f"2001:db8:aa:{n:x}::1")) for n in range(5)}
    assert len(keys) == 1 and all(ip_address("2001:db8:aa:1::1") in site for _ in keys)
    assert client_key(ip_address("2001:db8:ab::1")) not in keys
    assert client_key(ip_address("192.0.2.1")) != client_key(ip_address("192.0.2.2"))
