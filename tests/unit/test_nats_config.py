"""A nats-server node's configuration, alone and as a cluster member."""

from __future__ import annotations

from pathlib import Path

from evse_devstack.nats_config import ClusterMembership, node_config
from evse_runtime.settings import BusSettings


def test_a_cluster_node_routes_to_every_member_and_keeps_its_own_store() -> None:
    text = node_config(
        server_name="n2",
        port=4222,
        http_port=8222,
        store_dir=Path("/data/n2"),
        cluster=ClusterMembership("evse", 6223, (6222, 6223, 6224)),
        blocks=("authorization { token: t }",),
    )
    assert 'server_name: "n2"' in text
    assert 'jetstream { store_dir: "/data/n2" }' in text
    assert "listen: 127.0.0.1:6223" in text
    assert (
        "routes: [nats-route://127.0.0.1:6222, nats-route://127.0.0.1:6223, "
        "nats-route://127.0.0.1:6224]" in text
    )
    assert text.rstrip().endswith("authorization { token: t }")


def test_a_single_server_has_no_cluster_block() -> None:
    text = node_config(server_name="nats", port=4222, http_port=8222, store_dir=Path("/d"))
    assert "cluster" not in text


def test_a_comma_separated_nats_url_lists_every_node() -> None:
    settings = BusSettings(nats_url="nats://a:4222, nats://b:4222,nats://c:4222")
    assert settings.nats_servers == ["nats://a:4222", "nats://b:4222", "nats://c:4222"]
    assert settings.stream_replicas == 1
