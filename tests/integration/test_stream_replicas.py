"""Streams and the rate-limit KV bucket on a real 3-node cluster: created with the configured
replicas on file storage, and an existing unreplicated one brought to them in place."""

from __future__ import annotations

import nats
from nats.js.api import KeyValueConfig, StorageType

from evse_contracts.telemetry import TELEMETRY_STREAM
from evse_devstack.backends import NatsCluster
from evse_gateway.rate_limit import open_counter
from evse_gateway.settings import GatewaySettings
from evse_runtime.streams import TELEMETRY, ensure_key_value, ensure_stream
from tests.utils.cluster import current_everywhere


async def test_an_existing_stream_and_bucket_are_scaled_to_three_replicas(
    nats_cluster: NatsCluster,
) -> None:
    nc = await nats.connect(nats_cluster.url.split(","))
    try:
        js = nc.jetstream(timeout=30)
        await ensure_stream(js, TELEMETRY, replicas=1)
        assert await current_everywhere(nc, TELEMETRY_STREAM, 1)  # a leader to store it
        await js.publish("telemetry.events.status.x", b"{}", stream=TELEMETRY_STREAM)
        await js.create_key_value(KeyValueConfig(bucket="rl", storage=StorageType.FILE))
        await ensure_stream(js, TELEMETRY, replicas=3)
        await ensure_key_value(js, KeyValueConfig(bucket="rl", replicas=3))
        assert await current_everywhere(nc, TELEMETRY_STREAM, 3)
        assert await current_everywhere(nc, "KV_rl", 3)
        stream = await js.stream_info(TELEMETRY_STREAM)
        bucket = await js.stream_info("KV_rl")
    finally:
        await nc.close()
    assert stream.config.num_replicas == 3 and stream.state.messages == 1
    assert stream.cluster is not None and len(stream.cluster.replicas or []) == 2
    assert bucket.config.num_replicas == 3


async def test_the_gateway_creates_its_bucket_on_file_with_the_configured_replicas(
    nats_cluster: NatsCluster,
) -> None:
    settings = GatewaySettings(nats_url=nats_cluster.url, anonymous_rate_limit=5, stream_replicas=3)
    nc = await nats.connect(settings.nats_servers)
    try:
        js = nc.jetstream(timeout=30)
        assert await open_counter(js, settings) is not None
        bucket = await js.stream_info(f"KV_{settings.rate_limit_bucket}")
    finally:
        await nc.close()
    assert bucket.config.num_replicas == 3
    assert bucket.config.storage == StorageType.FILE
