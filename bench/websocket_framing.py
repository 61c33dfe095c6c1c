"""CPU per frame of a bare OCPP echo server on each WebSocket library: what framing alone costs.

The OCPP bench's baseline (`ocpp_connections.py`) is a bare `websockets` server. This runs
the same bare server (answer every CALL with an empty CALLRESULT, nothing else) on
`websockets` (the bridge's library), on aiohttp's server, and, when it is installed, on
picows (not a dependency: `uv pip install picows`). BENCH_CHARGERS connections (the
`websockets` client, offering permessage-deflate, as the OCPP bench's chargers do) each
send a MeterValues and await its answer every second; the server process's CPU over
BENCH_HOLD_S, per frame (a call and its answer are two frames), and the server's memory
(RSS) per connection once they all hold a socket. Each library twice, alternating.

    uv run --frozen python bench/websocket_framing.py
    python bench/websocket_framing.py serve LIBRARY PORT   # one server process
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import random
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path

import uvloop
from _common import cpu_seconds, write_result
from ocpp_connections import echo_reply, echo_server, wait_for_port
from websockets.asyncio.client import connect

from evse_devstack.processes import free_port, spawn, stop

CHARGERS = int(os.environ.get("BENCH_CHARGERS", "1000"))
HOLD_S = float(os.environ.get("BENCH_HOLD_S", "15"))
SUBPROTOCOL = "ocpp1.6"
SAMPLES = [
    {"value": "1000000", "measurand": "Energy.Active.Import.Register"},
    {"value": "0", "measurand": "Power.Active.Import", "unit": "W"},
    {"value": "16", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
]
METER = {
    "connectorId": 1,
    "meterValue": [{"timestamp": "2026-11-29T17:00:00Z", "sampledValue": SAMPLES}],
}


async def aiohttp_server(port: int) -> None:
    from aiohttp import WSMsgType, web

    async def answer(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,))
        await ws.prepare(request)
        async for msg in ws:
            reply = echo_reply(msg.data) if msg.type == WSMsgType.TEXT else None
            if reply is not None:
                await ws.send_str(reply)
        return ws

    app = web.Application()
    app.router.add_get("/{path:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


async def picows_server(port: int) -> None:
    import picows

    class Listener(picows.WSListener):
        def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
            if frame.msg_type == picows.WSMsgType.TEXT:
                reply = echo_reply(frame.get_payload_as_utf8_text())
                if reply is not None:
                    transport.send(picows.WSMsgType.TEXT, reply.encode())
            elif frame.msg_type == picows.WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()

    def listener(_: picows.WSUpgradeRequest) -> picows.WSUpgradeResponseWithListener:
        headers = {"Sec-WebSocket-Protocol": SUBPROTOCOL}
        response = picows.WSUpgradeResponse.create_101_response(extra_headers=headers)
        return picows.WSUpgradeResponseWithListener(response, Listener())

    await picows.ws_create_server(listener, "127.0.0.1", port)
    await asyncio.Event().wait()


SERVERS: dict[str, Callable[[int], Coroutine[None, None, None]]] = {
    "websockets": echo_server,
    "aiohttp": aiohttp_server,
    "picows": picows_server,
}


async def charger(url: str, stop_at: float, frames: list[int]) -> None:
    async with connect(url, subprotocols=[SUBPROTOCOL], ping_interval=None) as ws:  # type: ignore[list-item]
        await asyncio.sleep(random.random())
        sent = 0
        while time.perf_counter() < stop_at:
            sent += 1
            await ws.send(json.dumps([2, f"m-{sent}", "MeterValues", METER]))
            await ws.recv()
            frames[0] += 2
            await asyncio.sleep(1.0)


async def cpu_and_memory(port: int, pid: int) -> tuple[float, float]:
    """Server CPU µs per frame over the hold, after the chargers connected and settled, and
    KB of server memory (RSS) per connection."""
    idle = rss_kb(pid)
    frames = [0]
    stop_at = time.perf_counter() + 5 + HOLD_S
    url = f"ws://127.0.0.1:{port}/ocpp"
    chargers = [
        asyncio.create_task(charger(f"{url}/CP-{i}", stop_at, frames)) for i in range(CHARGERS)
    ]
    await asyncio.sleep(5)
    cpu, counted = cpu_seconds(pid), frames[0]
    await asyncio.sleep(HOLD_S)
    cpu, counted = cpu_seconds(pid) - cpu, frames[0] - counted
    held = rss_kb(pid)
    await asyncio.gather(*chargers)
    return cpu / counted * 1e6, (held - idle) / CHARGERS


def rss_kb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    return 0.0


def measure(library: str) -> tuple[float, float]:
    port = free_port()
    server = spawn([sys.executable, __file__, "serve", library, str(port)])
    try:
        wait_for_port(port)
        return asyncio.run(cpu_and_memory(port, server.pid))
    finally:
        stop(server)


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        uvloop.run(SERVERS[sys.argv[2]](int(sys.argv[3])))
        return
    libraries = [name for name in SERVERS if name != "picows" or importlib.util.find_spec(name)]
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in libraries}
    for _ in range(2):
        for name in libraries:
            runs[name].append(measure(name))
    base = min(cpu for cpu, _ in runs["websockets"])
    lines = [
        f"websocket_framing  {datetime.now(UTC):%Y-%m-%d %H:%M}Z  {CHARGERS} chargers, a "
        f"MeterValues each per second, {HOLD_S:.0f} s held; server CPU per frame and memory "
        "per connection, two runs",
        *(
            f"{name:10s} {' / '.join(f'{cpu:.1f}' for cpu, _ in values)} µs; "
            f"{min(cpu for cpu, _ in values) / base:.2f}x websockets; "
            f"{' / '.join(f'{kb:.0f}' for _, kb in values)} KB per connection"
            for name, values in runs.items()
        ),
    ]
    write_result("websocket_framing", "\n".join(lines))


if __name__ == "__main__":
    main()
