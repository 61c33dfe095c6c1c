"""A SignalR hub client, JSON protocol over WebSockets: only what a vendor's push stream needs.

The protocol (ASP.NET Core SignalR "TransportProtocols" and "HubProtocol" specs): after
`POST <hub>/negotiate` the client opens `<hub>?id=<connection token>` (ws/wss), sends the
handshake `{"protocol":"json","version":1}` and reads `{}`; every message is a JSON object ended
by the record separator 0x1e. Invocations (type 1) carry a `target` and `arguments`, completions
(3) answer an invocation by its id, pings (6) keep the connection alive both ways, close (7)
ends it. A hub that sends nothing (not even a ping) for `silence_s` is taken as gone.

Why not pysignalr (what pyeasee uses): it brings aiohttp next to the bridge's httpx and
websockets, for the five message types below; the simulator's hub is held to the protocol by
pyeasee's own client (`tests/contract/test_easee_stream.py`), and this client to that hub.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

__all__ = ["Hub", "HubClosed", "Invocation", "open_hub"]

log = structlog.get_logger("evse.bridge.signalr")
RS = "\x1e"
INVOCATION, COMPLETION, PING, CLOSE = 1, 3, 6, 7
MAX_FRAME_BYTES = 1024 * 1024
"""A vendor frame larger than this closes the stream (Easee's are a few hundred bytes)."""


class HubClosed(Exception):
    """The hub ended the connection, refused a call, fell silent or broke the protocol."""


@dataclass(frozen=True)
class Invocation:
    """A hub method the server invokes on us (`ProductUpdate`, `CommandResponse`, …)."""

    target: str
    arguments: list[Any]


class Hub:
    """One open hub connection: invoke hub methods, read what the hub invokes."""

    def __init__(self, socket: ClientConnection, *, silence_s: float) -> None:
        self._socket = socket
        self._silence_s = silence_s
        self._ids = itertools.count(1)
        self._early = ""
        """What came in the handshake's frame after its answer."""

    async def handshake(self, timeout_s: float) -> None:
        """Ask for the JSON protocol and read the hub's answer (`{}`, or an error)."""
        await self._send({"protocol": "json", "version": 1})
        try:
            frame = await asyncio.wait_for(self._socket.recv(), timeout_s)
        except (TimeoutError, WebSocketException) as exc:
            raise HubClosed(f"no handshake answer: {exc!r}") from exc
        text = frame if isinstance(frame, str) else frame.decode()
        answer, _, self._early = text.partition(RS)
        try:
            error = json.loads(answer).get("error")
        except (ValueError, AttributeError) as exc:
            raise HubClosed(f"unreadable handshake answer: {answer[:200]!r}") from exc
        if error:
            raise HubClosed(f"handshake refused: {str(error)[:200]}")

    async def invoke(self, target: str, *arguments: Any) -> None:
        """Call a hub method; a refusal arrives later as a completion with an error, logged."""
        await self._send(
            {
                "type": INVOCATION,
                "invocationId": str(next(self._ids)),
                "target": target,
                "arguments": list(arguments),
            }
        )

    async def ping(self) -> None:
        await self._send({"type": PING})

    async def invocations(self) -> AsyncIterator[Invocation]:
        """What the hub invokes, in order, until it closes or falls silent (`HubClosed`)."""
        text, self._early = self._early, ""
        while True:
            for raw in filter(None, text.split(RS)):
                invocation = _read(raw)
                if invocation is not None:
                    yield invocation
            try:
                frame = await asyncio.wait_for(self._socket.recv(), self._silence_s)
            except TimeoutError as exc:
                raise HubClosed(f"nothing from the hub for {self._silence_s:g} s") from exc
            except WebSocketException as exc:
                raise HubClosed(f"connection lost: {exc}") from exc
            text = frame if isinstance(frame, str) else frame.decode()

    async def _send(self, message: dict[str, Any]) -> None:
        try:
            await self._socket.send(json.dumps(message) + RS)
        except WebSocketException as exc:
            raise HubClosed(f"connection lost: {exc}") from exc


def _read(raw: str) -> Invocation | None:
    try:
        message = json.loads(raw)
    except ValueError as exc:
        raise HubClosed(f"not JSON: {raw[:200]!r}") from exc
    if not isinstance(message, dict):
        raise HubClosed(f"not a message object: {raw[:200]!r}")
    kind = message.get("type")
    if kind == INVOCATION and isinstance(message.get("target"), str):
        arguments = message.get("arguments")
        return Invocation(message["target"], arguments if isinstance(arguments, list) else [])
    if kind == COMPLETION and message.get("error"):
        # One refused call (a charger the account no longer sees) leaves the others streaming.
        log.warning("the hub refused a call", error=str(message["error"])[:200])
        return None
    if kind == CLOSE:
        raise HubClosed(f"closed by the hub: {str(message.get('error') or 'no reason')[:200]}")
    return None  # pings, successful completions, message types we do not use


def _socket_url(hub_url: str, connection_token: str) -> str:
    scheme, rest = hub_url.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}?id={connection_token}"


@asynccontextmanager
async def open_hub(
    hub_url: str,
    connection_token: str,
    access_token: str,
    *,
    keepalive_s: float,
    open_timeout_s: float,
) -> AsyncIterator[Hub]:
    """Open the negotiated connection, shake hands, and ping every `keepalive_s` while open."""
    try:
        socket = await connect(
            _socket_url(hub_url, connection_token),
            additional_headers={"Authorization": f"Bearer {access_token}"},
            max_size=MAX_FRAME_BYTES,
            open_timeout=open_timeout_s,
            ping_interval=None,  # SignalR keeps itself alive with its own pings
            close_timeout=2,
        )
    except (OSError, TimeoutError, WebSocketException) as exc:
        raise HubClosed(f"could not open the hub: {exc}") from exc
    async with socket:
        hub = Hub(socket, silence_s=2 * keepalive_s)
        await hub.handshake(open_timeout_s)
        pinging = asyncio.create_task(_keep_alive(hub, keepalive_s))
        try:
            yield hub
        finally:
            pinging.cancel()
            await asyncio.gather(pinging, return_exceptions=True)


async def _keep_alive(hub: Hub, keepalive_s: float) -> None:
    while True:
        await asyncio.sleep(keepalive_s)
        try:
            await hub.ping()
        except HubClosed:
            return  # the reader sees the same loss and ends the stream
