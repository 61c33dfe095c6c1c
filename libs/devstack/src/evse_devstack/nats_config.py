"""One nats-server node's configuration file, alone or as a member of a cluster.

Everything a node needs is one text produced by `node_config`; other blocks (e.g. an
`authorization` block) are appended by passing them in `blocks`, so a single server and
each cluster node are configured the same way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ClusterMembership", "node_config"]


@dataclass(frozen=True)
class ClusterMembership:
    """Where this node listens for routes, and the route ports of every node (itself too)."""

    name: str
    port: int
    route_ports: Sequence[int]


def node_config(
    *,
    server_name: str,
    port: int,
    http_port: int,
    store_dir: Path,
    cluster: ClusterMembership | None = None,
    blocks: Sequence[str] = (),
) -> str:
    """The configuration of one JetStream node on loopback."""
    lines = [
        f"server_name: {json.dumps(server_name)}",
        f"listen: 127.0.0.1:{port}",
        f"http: 127.0.0.1:{http_port}",
        f"jetstream {{ store_dir: {json.dumps(str(store_dir))} }}",
    ]
    if cluster is not None:
        routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in cluster.route_ports)
        lines += [
            "cluster {",
            f"  name: {json.dumps(cluster.name)}",
            f"  listen: 127.0.0.1:{cluster.port}",
            f"  routes: [{routes}]",
            "}",
        ]
    return "\n".join([*lines, *blocks]) + "\n"
