"""SIGTERM, as Kubernetes and Docker send it, drains a service process: in-flight work finishes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import AsyncIterator

import nats
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError

from evse_catalogue.seed import seed_catalogue
from evse_catalogue.store import MongoCatalogueStore
from evse_contracts.bus import Empty
from evse_contracts.catalogue import EVSE_MAKES_LIST, ListEvseMakes
from evse_devstack.backends import NatsServer
from evse_devstack.bus_users import service_env
from evse_devstack.processes import spawn, stop
from evse_runtime.mongo import open_database

BURST = 200


@pytest_asyncio.fixture
async def client(private_nats: NatsServer) -> AsyncIterator[NatsClient]:
    nc = await nats.connect(private_nats.url)
    try:
        yield nc
    finally:
        await nc.close()


async def wait_until_answering(nc: NatsClient, proc: subprocess.Popen[bytes]) -> None:
    payload = Empty().model_dump_json().encode()
    while True:
        assert proc.poll() is None, "the service exited before answering"
        try:
            await nc.request("catalogue.health", payload, timeout=1)
            return
        except NoRespondersError:
            await asyncio.sleep(0.05)


async def test_sigterm_lets_requests_sent_before_it_finish_and_exits_0(
    private_nats: NatsServer, client: NatsClient, mongodb_url: str, database_name: str
) -> None:
    async with open_database(mongodb_url, database_name) as db:
        await seed_catalogue(MongoCatalogueStore(db))
    env = {
        "EVSE_NATS_URL": private_nats.url,
        **service_env("catalogue"),
        "EVSE_MONGODB_URL": mongodb_url,
        "EVSE_DATABASE": database_name,
    }
    proc = spawn(["evse-catalogue"], env={**os.environ, **env})
    try:
        await wait_until_answering(client, proc)
        payload = ListEvseMakes().model_dump_json().encode()
        replies = [
            asyncio.create_task(client.request(EVSE_MAKES_LIST.subject, payload, timeout=30))
            for _ in range(BURST)
        ]
        await asyncio.sleep(0)
        await client.flush()
        proc.send_signal(signal.SIGTERM)
        answered = await asyncio.gather(*replies)
        exit_code = await asyncio.to_thread(proc.wait)
    finally:
        stop(proc)
    assert exit_code == 0
    assert all(EVSE_MAKES_LIST.parse_reply(msg.data).ok is not None for msg in answered)
