"""Finding who leads what on a NATS cluster, and waiting for it to settle after a node loss."""

from __future__ import annotations

import asyncio

from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError

from evse_devstack.backends import NatsCluster, NatsServer

__all__ = ["ELECTION_POLLS", "current_everywhere", "leader_of"]

ELECTION_POLLS = 600
"""Polls (0.1 s apart) for a leader to be elected or a restarted node to catch up."""


async def leader_of(
    nc: NatsClient, cluster: NatsCluster, stream: str, durable: str | None = None
) -> NatsServer:
    """The node leading `stream` (or its consumer `durable`), once one is elected."""
    js = nc.jetstream(timeout=1)
    for _ in range(ELECTION_POLLS):
        try:
            info = await (
                js.stream_info(stream) if durable is None else js.consumer_info(stream, durable)
            )
        except (NatsError, TimeoutError):
            info = None
        if info is not None and info.cluster is not None and info.cluster.leader:
            return cluster.node(info.cluster.leader)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no leader elected for {durable or stream}")


async def current_everywhere(nc: NatsClient, stream: str, replicas: int) -> bool:
    """True once `stream` has a leader and `replicas - 1` followers that are current."""
    for _ in range(ELECTION_POLLS):
        try:
            info = await nc.jetstream(timeout=1).stream_info(stream)
        except (NatsError, TimeoutError):
            info = None
        cluster = None if info is None else info.cluster
        if cluster is not None and cluster.leader:
            current = [peer for peer in cluster.replicas or [] if peer.current]
            if len(current) == replicas - 1:
                return True
        await asyncio.sleep(0.1)
    return False
