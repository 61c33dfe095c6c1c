"""Easee's SignalR hub (`streams.easee.com/hubs/chargers`), as pyeasee 0.8.21 and evcc use it.

ASP.NET Core SignalR, JSON hub protocol: `POST …/negotiate` with the account's bearer token
answers a connection id; the websocket `…?id=<connection id>` opens with the handshake
`{"protocol":"json","version":1}` → `{}`, every frame ending in the record separator 0x1e.
`SubscribeWithCurrentState(chargerId, true)` (pyeasee `easee.py:295`, evcc `easee.go:306`) sends
the charger's current observations, then each change, as `ProductUpdate`
`{mid, dataType, id, timestamp, value}` (value a string, as pyeasee `convert_stream_data` reads
it); a command's outcome comes as `CommandResponse` `{serialNumber, id, ticks, wasAccepted,
resultCode, comment, timestamp, deliveredAt}`, matched by `ticks` to the REST call's 202 body
(evcc `easee/dispatcher.go`). Pings (type 6) go both ways every keep-alive interval.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect

from ..fleet import SimCharger, SimCommand
from ..state import SimState, gate, sim_of
from .easee import VENDOR, observations

__all__ = ["router"]

HUB = f"/{VENDOR}/hubs/chargers"
RS = "\x1e"
INVOCATION, COMPLETION, PING, CLOSE = 1, 3, 6, 7
MAX_FRAME = 64 * 1024
MAX_SUBSCRIPTIONS = 100
negotiate_router = APIRouter(prefix=HUB, dependencies=[Depends(gate(VENDOR))])
router = APIRouter()
"""The websocket route; the negotiate route (logged and fault-switched like every REST call)
is included at the end of the module."""


@negotiate_router.post("/negotiate")
async def negotiate(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    connection_id = secrets.token_urlsafe(16)
    sim.stream_connections[connection_id] = username
    return {
        "negotiateVersion": 0,
        "connectionId": connection_id,
        "availableTransports": [
            {"transport": "WebSockets", "transferFormats": ["Text", "Binary"]},
        ],
    }


@dataclass
class _Subscriber:
    sim: SimState
    username: str
    socket: WebSocket
    charger_ids: list[str] = field(default_factory=list)
    sent: dict[tuple[str, int], str] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    since: dict[str, int] = field(default_factory=dict)

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send_text(json.dumps(message) + RS)

    async def subscribe(self, charger_id: str) -> None:
        charger = self.sim.fleet.find(VENDOR, charger_id)
        if charger is None or charger.seed.owner != self.username:
            raise PermissionError(f"not allowed to subscribe to {charger_id}")
        if charger_id not in self.charger_ids and len(self.charger_ids) < MAX_SUBSCRIPTIONS:
            self.charger_ids.append(charger_id)
            self.since[charger_id] = max((int(i) for i in self.sim.fleet.commands), default=0)
        await self.push(charger_id, every=True)

    async def push(self, charger_id: str, *, every: bool = False) -> None:
        """The charger's changed observations (all of them with `every`), then finished commands."""
        charger = self.sim.fleet.find(VENDOR, charger_id)
        if charger is None:
            return
        stamp = datetime.now(UTC).isoformat()
        for obs_id, (value, data_type) in observations(charger).items():
            text = _as_text(value)
            if every or self.sent.get((charger_id, obs_id)) != text:
                self.sent[(charger_id, obs_id)] = text
                update = {
                    "mid": charger_id,
                    "dataType": data_type,
                    "id": obs_id,
                    "timestamp": stamp,
                    "value": text,
                }
                await self.send(
                    {"type": INVOCATION, "target": "ProductUpdate", "arguments": [update]}
                )
        for command in self._finished(charger):
            self.answered.add(command.command_id)
            await self.send(
                {
                    "type": INVOCATION,
                    "target": "CommandResponse",
                    "arguments": [_response(charger, command)],
                }
            )

    def _finished(self, charger: SimCharger) -> list[SimCommand]:
        since = self.since[charger.seed.device_id]
        done = (
            self.sim.fleet.command_done(command_id)
            for command_id in self.sim.fleet.commands
            if int(command_id) > since and command_id not in self.answered
        )
        return [c for c in done if c is not None and c.serial_number == charger.seed.serial_number]


def _as_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _response(charger: SimCharger, command: SimCommand) -> dict[str, Any]:
    """`serialNumber` is the charger id, which at Easee is the serial (`GET /api/chargers`)."""
    stamp = datetime.now(UTC).isoformat()
    return {
        "serialNumber": charger.seed.device_id,
        "id": int(command.command_id),
        "ticks": command.ticks,
        "wasAccepted": command.accepted,
        "resultCode": 0 if command.accepted else 1,
        "comment": command.detail,
        "timestamp": stamp,
        "deliveredAt": stamp,
    }


@router.websocket(HUB)
async def hub(socket: WebSocket) -> None:
    sim: SimState = socket.app.state.sim
    username = _authorised(sim, socket)
    if username is None:
        await socket.close(code=1008)
        return
    await socket.accept()
    try:
        if not await _handshake(socket):
            return
        subscriber = _Subscriber(sim, username, socket)
        tasks = [asyncio.create_task(work(subscriber)) for work in (_receive, _stream, _keepalive)]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    except WebSocketDisconnect:
        return


def _authorised(sim: SimState, socket: WebSocket) -> str | None:
    """The connection's account: a negotiated id and a live bearer token of that account."""
    username = sim.stream_connections.get(socket.query_params.get("id", ""))
    scheme, _, token = socket.headers.get("authorization", "").partition(" ")
    owner = sim.token_owner(VENDOR, token) if scheme.lower() == "bearer" else None
    return username if username is not None and owner == username else None


async def _handshake(socket: WebSocket) -> bool:
    frame = await socket.receive_text()
    try:
        request = json.loads(frame[:MAX_FRAME].split(RS, 1)[0])
    except ValueError:
        request = None
    if not isinstance(request, dict) or request.get("protocol") != "json":
        await socket.send_text(json.dumps({"error": "only the json protocol is served"}) + RS)
        await socket.close()
        return False
    await socket.send_text("{}" + RS)
    return True


async def _receive(subscriber: _Subscriber) -> None:
    while True:
        frame = await subscriber.socket.receive_text()
        if len(frame) > MAX_FRAME:
            await subscriber.send({"type": CLOSE, "error": "frame too large"})
            await subscriber.socket.close(code=1009)
            return
        for raw in filter(None, frame.split(RS)):
            try:
                message = json.loads(raw)
            except ValueError:
                message = None
            if not isinstance(message, dict):
                await subscriber.send({"type": CLOSE, "error": "messages must be JSON objects"})
                await subscriber.socket.close(code=1003)
                return
            await _on_message(subscriber, message)


async def _on_message(subscriber: _Subscriber, message: dict[str, Any]) -> None:
    if message.get("type") != INVOCATION:
        return  # pings and anything else need no answer
    target, arguments = message.get("target"), message.get("arguments") or []
    invocation_id = message.get("invocationId")
    error: str | None = None
    if target == "SubscribeWithCurrentState" and arguments and isinstance(arguments[0], str):
        try:
            await subscriber.subscribe(arguments[0])
        except PermissionError as exc:
            error = str(exc)
    else:
        error = f"unknown hub method {target!r}"
    if invocation_id is not None:
        answer = {"type": COMPLETION, "invocationId": invocation_id}
        await subscriber.send(answer | ({"error": error} if error else {"result": None}))


async def _stream(subscriber: _Subscriber) -> None:
    while True:
        await asyncio.sleep(subscriber.sim.settings.stream_interval_s)
        for charger_id in list(subscriber.charger_ids):
            await subscriber.push(charger_id)


async def _keepalive(subscriber: _Subscriber) -> None:
    while True:
        await asyncio.sleep(subscriber.sim.settings.stream_keepalive_s)
        await subscriber.send({"type": PING})


router.include_router(negotiate_router)
