"""Vendor webhooks: signature and replay checks at the gateway, normalisation in the bridge."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from evse_contracts.bridge import WEBHOOKS_STREAM
from evse_gateway.webhook_signature import sign
from evse_runtime.streams import WEBHOOKS, ensure_stream
from evse_vendor_simulator.seed import seed_for
from tests.utils.bridge import (
    link_owner,
    nats_client,
    onboard,
    simulator,
    telemetry_tap,
)
from tests.utils.polling import until_holds
from tests.utils.problems import assert_problem
from tests.utils.services import running_bridge, running_gateway

SECRET = "test-webhook-secret"


@pytest_asyncio.fixture
async def nc(nats_url: str) -> AsyncIterator[NatsClient]:
    async with nats_client(nats_url) as client:
        await ensure_stream(client.jetstream(), WEBHOOKS, replicas=1)
        yield client


@pytest_asyncio.fixture
async def api(nats_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_gateway(nats_url=nats_url, webhook_secrets={"zaptec": SECRET}) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        yield client


@pytest_asyncio.fixture
async def relayed(nc: NatsClient) -> AsyncIterator[list[Msg]]:
    """Every message published on `webhooks.>` while the test runs."""
    messages: list[Msg] = []

    async def keep(msg: Msg) -> None:
        messages.append(msg)

    sub = await nc.subscribe("webhooks.>", cb=keep)
    try:
        yield messages
    finally:
        await sub.unsubscribe()


def signed(
    body: bytes, *, secret: str = SECRET, at: float | None = None, delivery: str = ""
) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    headers = {
        "x-webhook-timestamp": timestamp,
        "x-webhook-signature": f"sha256={sign(secret, timestamp, body)}",
        "content-type": "application/json",
    }
    if delivery:
        headers["x-webhook-delivery"] = delivery
    return headers


async def stored_messages(nc: NatsClient) -> int:
    info = await nc.jetstream().stream_info(WEBHOOKS_STREAM)
    return info.state.messages


async def test_a_signed_webhook_is_accepted_and_relayed_raw(
    api: httpx.AsyncClient, relayed: list[Msg]
) -> None:
    body = b'[{"ChargerId": "c1", "StateId": 710, "ValueAsString": "3"}]'
    headers = signed(body, delivery="d-1")
    response = await api.post("/v2/webhooks/zaptec", content=body, headers=headers)
    assert response.status_code == 202
    await until_holds(lambda: len(relayed) == 1)
    assert relayed[0].subject == "webhooks.zaptec"
    assert relayed[0].data == body
    assert relayed[0].headers is not None
    signature = headers["x-webhook-signature"].removeprefix("sha256=")
    assert relayed[0].headers["Nats-Msg-Id"] == f"webhooks.zaptec:{signature}"


async def test_a_wrong_signature_is_refused_and_nothing_is_relayed(
    api: httpx.AsyncClient, relayed: list[Msg]
) -> None:
    body = b'{"chargerId": "x"}'
    response = await api.post(
        "/v2/webhooks/zaptec", content=body, headers=signed(body, secret="not-the-secret")
    )
    assert_problem(response, 401, "invalid-webhook-signature")
    tampered = await api.post("/v2/webhooks/zaptec", content=body + b" ", headers=signed(body))
    assert_problem(tampered, 401, "invalid-webhook-signature")
    missing = await api.post("/v2/webhooks/zaptec", content=body)
    assert_problem(missing, 401, "invalid-webhook-signature")
    assert relayed == []


async def test_a_replayed_old_delivery_is_refused(
    api: httpx.AsyncClient, relayed: list[Msg]
) -> None:
    body = b'{"chargerId": "x"}'
    response = await api.post(
        "/v2/webhooks/zaptec", content=body, headers=signed(body, at=time.time() - 600)
    )
    assert_problem(response, 401, "invalid-webhook-signature")
    assert "300" in response.json()["detail"]
    assert relayed == []


async def test_a_delivery_replayed_within_the_window_is_stored_once(
    api: httpx.AsyncClient, nc: NatsClient
) -> None:
    body = b'{"chargerId": "replayed"}'
    headers = signed(body, delivery=f"replay-{time.time_ns()}")
    before = await stored_messages(nc)
    for _ in range(3):
        response = await api.post("/v2/webhooks/zaptec", content=body, headers=headers)
        assert response.status_code == 202
    assert await stored_messages(nc) == before + 1


async def test_a_replay_with_new_delivery_ids_is_still_stored_once(
    api: httpx.AsyncClient, nc: NatsClient
) -> None:
    """Review L2: the delivery header is not signed, so it cannot make a replay new."""
    body = b'{"chargerId": "replayed-with-new-ids"}'
    headers = signed(body)
    before = await stored_messages(nc)
    for delivery in ("e-1", "e-2", "e-3", ""):
        replay = {**headers, "x-webhook-delivery": delivery} if delivery else headers
        response = await api.post("/v2/webhooks/zaptec", content=body, headers=replay)
        assert response.status_code == 202
    assert await stored_messages(nc) == before + 1


async def test_a_webhook_for_an_unknown_provider_is_not_found(api: httpx.AsyncClient) -> None:
    body = b"{}"
    for provider in ("tesla", "easee"):  # not a provider / no secret configured
        response = await api.post(f"/v2/webhooks/{provider}", content=body, headers=signed(body))
        assert_problem(response, 404, "webhook-provider-not-found")


async def test_the_bridge_turns_a_vendor_push_into_a_status_log(
    api: httpx.AsyncClient, nc: NatsClient, nats_url: str, mongodb_url: str, database_name: str
) -> None:
    async with (
        simulator(evolve=False) as sim,
        running_bridge(
            nats_url=nats_url,
            mongodb_url=mongodb_url,
            database=database_name,
            simulator_url=sim.base_url,
            idle_wait_s=0.05,
        ),
        telemetry_tap(nats_url) as tap,
    ):
        seed = seed_for("zaptec")[1]
        await sim.pin(seed.serial_number, "available")
        user = await link_owner(nc, seed)
        evse_uid = await onboard(nc.jetstream(), "zaptec", seed.serial_number, user)
        await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
        push = [
            {"ChargerId": seed.device_id, "StateId": state_id, "ValueAsString": value}
            for state_id, value in ((-2, "1"), (710, "3"), (513, "7360.0"), (510, "32"))
        ]
        body = json.dumps(push).encode()
        response = await api.post("/v2/webhooks/zaptec", content=body, headers=signed(body))
        assert response.status_code == 202
        await until_holds(lambda: any(s.source == "webhook" for s in tap.statuses(evse_uid)))
    pushed = next(s for s in tap.statuses(evse_uid) if s.source == "webhook")
    assert (pushed.state, pushed.plugged_in, pushed.power_w, pushed.current_limit_a) == (
        "charging",
        True,
        7360.0,
        32.0,
    )


async def test_an_oversized_webhook_is_refused(nats_url: str) -> None:
    body = b"[" + b"0," * 600 + b"0]"
    async with (
        running_gateway(
            nats_url=nats_url, webhook_secrets={"zaptec": SECRET}, webhook_max_body_bytes=1000
        ) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        response = await client.post("/v2/webhooks/zaptec", content=body, headers=signed(body))
    assert_problem(response, 413, "payload-too-large")
