from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from evse_gateway.client_address import client_address, client_key
from evse_gateway.settings import GatewaySettings

PROXIES = [ip_network("10.0.0.0/8"), ip_network("127.0.0.1/32")]


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address("198.51.100.1", ["203.0.113.9"], PROXIES) == ip_address("198.51.100.1")


def test_behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() -> None:
    forwarded = ["6.6.6.6, 203.0.113.9, 10.1.2.3"]
    assert client_address("127.0.0.1", forwarded, PROXIES) == ip_address("203.0.113.9")


def test_repeated_forwarded_for_headers_read_as_one_list() -> None:
    forwarded = ["6.6.6.6", "203.0.113.9, 10.1.2.3"]
    assert client_address("10.9.9.9", forwarded, PROXIES) == ip_address("203.0.113.9")


def test_when_every_hop_is_trusted_the_left_most_is_the_client() -> None:
    assert client_address("127.0.0.1", ["10.0.0.7, 10.0.0.8"], PROXIES) == ip_address("10.0.0.7")


def test_an_unparsable_hop_stops_at_the_last_vouched_address() -> None:
    forwarded = ["203.0.113.9, garbage, 10.1.2.3"]
    assert client_address("127.0.0.1", forwarded, PROXIES) == ip_address("10.1.2.3")


def test_a_trusted_peer_without_forwarded_for_is_the_client() -> None:
    assert client_address("127.0.0.1", [], PROXIES) == ip_address("127.0.0.1")


def test_ipv4_mapped_ipv6_counts_as_the_ipv4_address() -> None:
    assert client_key(client_address("::ffff:192.0.2.1", [], [])) == client_key(
        ip_address("192.0.2.1")
    )


def test_ipv6_clients_are_keyed_by_their_48_prefix_in_kv_safe_characters() -> None:
    one = client_key(ip_address("2001:db8:1:2::1"))
    other = client_key(ip_address("2001:db8:1:ffff::9"))  # another /64 of the same /48
    assert one == other == "v6_20010db80001"
    assert client_key(ip_address("2001:db8:2::1")) != one


@pytest.mark.parametrize("raw", ["127.0.0.1, 10.0.0.0/8", '["127.0.0.1", "10.0.0.0/8"]'])
def test_trusted_proxies_read_from_the_environment(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "EVSE_TRUSTED_PROXIES", raw.replace("[", "").replace("]", "").replace('"', "")
    )
    assert GatewaySettings().trusted_proxies == [
        ip_network("127.0.0.1/32"),
        ip_network("10.0.0.0/8"),
    ]


@pytest.mark.parametrize(
    ("hop", "caller"),
    [
        ("9.9.9.9:1234", "9.9.9.9"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:db8::7", "2001:db8::7"),
    ],
)
def test_a_hop_written_with_a_port_names_its_address(hop: str, caller: str) -> None:
    """Review L7: some load balancers write `ip:port`; the walk stopped there."""
    assert client_address("10.1.2.3", [hop], [ip_network("10.0.0.0/8")]) == ip_address(caller)
