"""The notifier and the gateway on one NATS, with short delivery timings, for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats
from nats.js import JetStreamContext

from evse_contracts.evses import EVSE_RECONNECTED, EvseOnboarded, EvseReconnected
from evse_contracts.telemetry import publish_event
from evse_devstack.keys import KeyPair
from evse_notifier.app import create_service as create_notifier
from evse_notifier.settings import NotifierSettings
from evse_runtime.service import Runtime
from tests.utils.polling import until
from tests.utils.services import PATIENT, bus_user, running_gateway, running_service
from tests.utils.telemetry import base_time, onboard, status

FAST_DELIVERY: dict[str, Any] = {
    "webhook_allow_http": True,
    "webhook_allow_private_addresses": True,
    "webhook_backoff_initial_s": 0.05,
    "webhook_backoff_max_s": 0.2,
    "webhook_claim_interval_s": 0.1,
    "webhook_lease_s": 3.0,
    "fetch_timeout_s": 0.2,
}
"""Delivery timings short enough for tests; `webhook_retry_window_s` stays 25 h."""


def running_notifier(
    *, nats_url: str, mongodb_url: str, database: str, **overrides: Any
) -> AbstractAsyncContextManager[Runtime]:
    """A notifier replica with `FAST_DELIVERY` timings, connected as its own bus user."""
    settings = NotifierSettings(
        nats_url=nats_url,
        mongodb_url=mongodb_url,
        database=database,
        **{**FAST_DELIVERY, **PATIENT, **bus_user("notifier"), **overrides},
    )
    return running_service(create_notifier, settings)


@asynccontextmanager
async def notifier_and_gateway(
    *, nats_url: str, mongodb_url: str, database: str, keys: KeyPair, **overrides: Any
) -> AsyncIterator[tuple[str, JetStreamContext]]:
    """The notifier and a gateway; yield the gateway URL and a JetStream context to publish."""
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(
            running_notifier(
                nats_url=nats_url, mongodb_url=mongodb_url, database=database, **overrides
            )
        )
        base_url = await stack.enter_async_context(
            running_gateway(nats_url=nats_url, jwt_public_key_file=keys.public_key_file)
        )
        nc = await nats.connect(nats_url)
        stack.push_async_callback(nc.drain)
        yield base_url, nc.jetstream()


@dataclass(frozen=True)
class NotifierApi:
    http: httpx.AsyncClient
    js: JetStreamContext


@asynccontextmanager
async def notifier_api(
    *, nats_url: str, mongodb_url: str, database: str, keys: KeyPair
) -> AsyncIterator[NotifierApi]:
    """The notifier and a gateway, with an HTTP client of the gateway and JetStream."""
    async with (
        notifier_and_gateway(
            nats_url=nats_url, mongodb_url=mongodb_url, database=database, keys=keys
        ) as (base_url, js),
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
    ):
        yield NotifierApi(http, js)


async def subscribe(
    http: httpx.AsyncClient, headers: dict[str, str], url: str, *event_types: str
) -> dict[str, Any]:
    """Create a webhook subscription; return the created resource (with its secret)."""
    body = {"url": url, "event_types": list(event_types or ("evse.status_changed",))}
    response = await http.post("/v2/webhooks/subscriptions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def status_run(
    js: JetStreamContext, evse: EvseOnboarded, states: list[tuple[str, bool]]
) -> None:
    """Publish status samples one second apart: `(state, online)` each, plugged in."""
    start = base_time()
    for index, (state, online) in enumerate(states):
        sample = status(evse.evse_uid, start + timedelta(seconds=index), online=online, state=state)
        await publish_event(js, sample)


async def reconnect(js: JetStreamContext, evse: EvseOnboarded, *, user_uid: str | None) -> None:
    event = EvseReconnected(
        evse_uid=evse.evse_uid,
        evse_id=evse.evse_id,
        application_uid=evse.application_uid,
        user_uid=user_uid,
        occurred_at=datetime.now(UTC),
    )
    await js.publish(EVSE_RECONNECTED, event.model_dump_json().encode())


async def handled(js: JetStreamContext, stream: str, durable: str) -> None:
    """Wait until the notifier has handled (acked) everything published to its consumer."""

    async def settled() -> bool:
        info = await js.consumer_info(stream, durable)
        return not info.num_pending and not info.num_ack_pending

    await until(settled)


__all__ = [
    "FAST_DELIVERY",
    "handled",
    "notifier_and_gateway",
    "onboard",
    "reconnect",
    "status_run",
    "subscribe",
]
