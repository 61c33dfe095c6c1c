"""The OCPP listener's handshake and shutdown, with a real WebSocket client and NATS: what a
charger sees on a path, a password or a subprotocol the listener refuses, and on a drain.
Written to hold an aiohttp listener to what the `websockets` one answers (both pass)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import cast

import httpx
import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from evse_provider_bridge.central_system.event_queue import EventQueue
from evse_provider_bridge.central_system.passwords import hash_password
from evse_provider_bridge.central_system.server import OcppServer
from evse_provider_bridge.central_system.session import SessionSettings
from evse_provider_bridge.central_system.store import OcppCharger, OcppStore
from evse_provider_bridge.telemetry_publisher import TelemetryPublisher

PASSWORD = "a-charger-password-of-32-chars-x"
CHARGER = OcppCharger("CP-L1", "evse01", "app01", hash_password(PASSWORD), datetime.now(UTC))


class OneCharger:
    """The store as the handshake reads it: one enrolled charger."""

    async def find(self, charge_point_id: str) -> OcppCharger | None:
        return CHARGER if charge_point_id == CHARGER.charge_point_id else None


@pytest_asyncio.fixture
async def listener(private_nc: NatsClient) -> AsyncIterator[OcppServer]:
    server = OcppServer(
        nc=private_nc,
        store=cast(OcppStore, OneCharger()),
        events=EventQueue(cast(TelemetryPublisher, None), size=100, wait_s=0, linger_s=0),
        settings=SessionSettings(
            heartbeat_interval_s=30, response_timeout_s=5, id_tag="T", frames_per_minute=60
        ),
        max_frame_bytes=65_536,
    )
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.close(5)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("path", "password", "subprotocol", "status"),
    [
        ("/somewhere/CP-L1", PASSWORD, "ocpp1.6", 404),
        ("/ocpp/CP-L1", "not-the-password-of-this-charger", "ocpp1.6", 401),
        ("/ocpp/CP-NOBODY", PASSWORD, "ocpp1.6", 401),
        ("/ocpp/CP-L1", PASSWORD, "ocpp2.0.1", 400),
    ],
)
async def test_a_refused_handshake_gets_its_status(
    listener: OcppServer, path: str, password: str, subprotocol: str, status: int
) -> None:
    headers = {
        "Authorization": basic(path.rsplit("/", 1)[-1], password),
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(),
        "Sec-WebSocket-Protocol": subprotocol,
    }
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"http://127.0.0.1:{listener.port}{path}", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith('Basic realm="ocpp"')


async def test_closing_the_listener_tells_each_charger_it_is_going_away(
    listener: OcppServer,
) -> None:
    async with connect(
        f"ws://127.0.0.1:{listener.port}/ocpp/CP-L1",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": basic("CP-L1", PASSWORD)},
    ) as ws:
        assert ws.subprotocol == "ocpp1.6"
        await listener.close(5)
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert listener.connected == 0
