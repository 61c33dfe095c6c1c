"""`evse-health`, the probe command of every image, run as the container runtime runs it."""

from __future__ import annotations

import asyncio
import os

from evse_devstack.backends import NatsServer
from evse_devstack.bus_users import service_env
from tests.utils.services import running_catalogue, running_gateway


async def evse_health(*args: str, **env: str) -> int:
    """Run the command as a separate process (as a probe does); return its exit code."""
    proc = await asyncio.create_subprocess_exec("evse-health", *args, env={**os.environ, **env})
    return await proc.wait()


async def test_health_command_exits_0_when_the_catalogue_answers(
    private_nats: NatsServer, mongodb_url: str, database_name: str
) -> None:
    async with running_catalogue(
        nats_url=private_nats.url, mongodb_url=mongodb_url, database=database_name, seed=False
    ):
        code = await evse_health(
            "catalogue.health", EVSE_NATS_URL=private_nats.url, **service_env("catalogue")
        )
    assert code == 0


async def test_the_probe_of_one_replica_is_never_answered_by_another(
    private_nats: NatsServer, mongodb_url: str, database_name: str
) -> None:
    async with running_catalogue(
        nats_url=private_nats.url,
        mongodb_url=mongodb_url,
        database=database_name,
        seed=False,
        instance_id="pod-a",
    ):
        env = {"EVSE_NATS_URL": private_nats.url}
        assert await evse_health("catalogue.health", **env, EVSE_INSTANCE_ID="pod-a") == 0
        assert await evse_health("catalogue.health", **env, EVSE_INSTANCE_ID="pod-b") == 1


async def test_health_command_exits_1_when_nothing_answers_the_subject(
    private_nats: NatsServer,
) -> None:
    assert await evse_health("catalogue.health", EVSE_NATS_URL=private_nats.url) == 1


async def test_health_command_exits_1_when_nats_is_unreachable(
    private_nats: NatsServer,
) -> None:
    url = private_nats.url
    private_nats.stop()
    assert await evse_health("catalogue.health", EVSE_NATS_URL=url) == 1


async def test_health_command_checks_the_images_own_service_without_arguments(
    private_nats: NatsServer, mongodb_url: str, database_name: str
) -> None:
    env = {"EVSE_NATS_URL": private_nats.url, "EVSE_SERVICE": "catalogue"}
    assert await evse_health(**env) == 1
    async with running_catalogue(
        nats_url=private_nats.url, mongodb_url=mongodb_url, database=database_name, seed=False
    ):
        assert await evse_health(**env) == 0


async def test_health_command_checks_the_gateway_liveness_over_http(nats_url: str) -> None:
    async with running_gateway(nats_url=nats_url) as base_url:
        port = base_url.rsplit(":", 1)[1]
        assert await evse_health(EVSE_SERVICE="gateway", EVSE_PORT=port) == 0
        assert await evse_health(f"{base_url}/no-such-page") == 1
