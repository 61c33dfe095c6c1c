"""SIGTERM, as Kubernetes and Docker send it, drains a service process: in-flight work finishes."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from nats.aio.client import Client as NatsClient

from evse_contracts.bus import Empty
from evse_contracts.catalogue import EVSE_MAKES_LIST, ListEvseMakes
from evse_devstack.backends import NatsServer
from tests.utils.polling import until_holds
from tests.utils.processes import process_env, service_replica
from tests.utils.services import seeded_catalogue

BURST = 200


async def test_sigterm_lets_requests_sent_before_it_finish_and_exits_0(
    private_nats: NatsServer,
    private_nc: NatsClient,
    mongodb_url: str,
    database_name: str,
    tmp_path: Path,
) -> None:
    await seeded_catalogue(mongodb_url, database_name)
    env = process_env(
        "catalogue", nats_url=private_nats.url, mongodb_url=mongodb_url, database=database_name
    )
    async with service_replica("catalogue", "a", env=env, logs=tmp_path) as catalogue:
        # A first request sets up the client's reply subscription, so that each of the
        # burst's requests is sent at once, before the SIGTERM.
        await private_nc.request("catalogue.health", Empty().model_dump_json().encode(), timeout=5)
        payload = ListEvseMakes().model_dump_json().encode()
        published = private_nc.stats["out_msgs"] + BURST
        replies = [
            asyncio.create_task(private_nc.request(EVSE_MAKES_LIST.subject, payload, timeout=30))
            for _ in range(BURST)
        ]
        # nats-py's `flush` writes its PING at once, ahead of commands its flusher has not
        # written yet: first the burst must leave the client, then the round trip says the
        # server has routed every request before the SIGTERM.
        await until_holds(
            lambda: private_nc.stats["out_msgs"] >= published and private_nc.pending_data_size == 0
        )
        await private_nc.flush()
        catalogue.proc.send_signal(signal.SIGTERM)
        answered = await asyncio.gather(*replies)
        exit_code = await asyncio.to_thread(catalogue.proc.wait)
    assert exit_code == 0
    assert all(EVSE_MAKES_LIST.parse_reply(msg.data).ok is not None for msg in answered)
