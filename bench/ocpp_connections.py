"""How many OCPP chargers one bridge process holds, and frame → stored-log latency.

Over 300 lines: one script, whose levels, probe, baseline server and report share the
processes it starts; the chargers themselves are in `ocpp_chargers.py`.

At each level in BENCH_LEVELS (default 250,500,1000) that many simulated chargers
(`ocpp_chargers.py`, the `ocpp` package's client, in this process) connect to one bridge
process, boot, and then send Heartbeat every 30 s and MeterValues every 10 s divided by
BENCH_TIME_SCALE (default 10: 3 s and 1 s, so 10x the real frame rate per charger), phases
spread at random, for BENCH_HOLD_S (default 20 s). Measured: the chargers' call round trip
(p50/p99, timeouts), the bridge's CPU per frame and memory, and, from one probe charger,
the latency from sending a frame to its OCPP log being in telemetry's store (p50/p99; the
bridge logs the frame, JetStream, telemetry in its own process, the store).

BENCH_SINK=count runs no telemetry writer: the bridge publishes every log to JetStream as
usual, the bench counts them with a plain subscription, and the probe times frame → log
published on the bus instead of stored. That is the bridge's own limit, apart from the
store's (the default, BENCH_SINK=store, is the full path).

Baseline in the same run: the same chargers against a bare `websockets` server (its own
process) that answers every CALL with an empty CALLRESULT: no auth, no `ocpp` package, no
logging. Ratios: bridge CPU per frame / baseline's, and call p99 / baseline's. A level is
held when no call fails or times out, call p99 stays under 1 s and stored p99 under 5 s.
Between the connect storm and the hold the bench waits for the storm's tail ("settle": the
bridge's store holding every charger's boot and configuration, then its CPU quiet), so the
hold's CPU per frame is the steady state's; BENCH_PROFILE=prefix records each hold with py-spy.
Writes bench/results/ocpp_connections_<scale>x.txt (`..._<scale>x_count.txt` with the count
sink).

`python bench/ocpp_connections.py echo PORT` is the baseline server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
from _common import QUIET, cpu_seconds, write_result
from ocpp.v16.enums import ChargePointStatus
from ocpp_chargers import SimulatedCharger, connected_charger, enrol
from websockets.asyncio.server import ServerConnection, serve

from evse_devstack.backends import NatsServer, mongodb
from evse_devstack.processes import free_port, spawn, stop
from evse_runtime.bus_client import BusClient
from evse_runtime.mongo import open_database

LEVELS = [int(n) for n in os.environ.get("BENCH_LEVELS", "250,500,1000").split(",")]
SCALE = float(os.environ.get("BENCH_TIME_SCALE", "10"))
HOLD_S = float(os.environ.get("BENCH_HOLD_S", "20"))
SINK = os.environ.get("BENCH_SINK", "store")
PROFILE = os.environ.get("BENCH_PROFILE")
"""A path prefix: py-spy records each hold phase to `<prefix>-<bridge|baseline>-<level>.txt`."""
assert SINK in ("store", "count"), "BENCH_SINK is store or count"
HEARTBEAT_S, METER_S = 30.0 / SCALE, 10.0 / SCALE
HOLD_P99_MS, STORED_P99_MS = 1000.0, 5000.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[q - 1]


@dataclass
class Load:
    round_trips_ms: list[float] = field(default_factory=list)
    failures: int = 0
    calls: int = 0


async def timed(load: Load, call: Callable[[], Awaitable[Any]]) -> None:
    started = time.perf_counter()
    try:
        await call()
    except Exception:
        load.failures += 1
        return
    load.calls += 1
    load.round_trips_ms.append((time.perf_counter() - started) * 1000)


async def pace(charger: SimulatedCharger, load: Load, stop_at: float) -> None:
    """Heartbeats and meter values at the (scaled) intervals, from a random phase."""
    loop = asyncio.get_running_loop()
    next_heartbeat = loop.time() + random.uniform(0, HEARTBEAT_S)
    next_meter = loop.time() + random.uniform(0, METER_S)
    while True:
        due = min(next_heartbeat, next_meter)
        if due >= stop_at:
            return
        await asyncio.sleep(max(0.0, due - loop.time()))
        if due == next_heartbeat:
            await timed(load, charger.heartbeat)
            next_heartbeat += HEARTBEAT_S
        else:
            await timed(load, charger.meter_values)
            next_meter += METER_S


async def probe_call(charger: SimulatedCharger, latencies: list[float]) -> bool:
    """The probe's heartbeat; one that fails counts as an infinite latency."""
    try:
        await charger.heartbeat()
    except Exception:
        latencies.append(float("inf"))
        return False
    return True


async def probe_stored(
    charger: SimulatedCharger, db: Any, evse_uid: str, stop_at: float
) -> list[float]:
    """Send a heartbeat, poll the store for its log (by index), repeat until `stop_at`."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    while loop.time() < stop_at:
        sent_at = datetime.now(UTC).replace(microsecond=0)
        started = time.perf_counter()
        if not await probe_call(charger, latencies):
            continue
        unique_id = json.loads(charger.connection.frames[-2][1])[1]
        query = {"evse_uid": evse_uid, "sampled_at": {"$gte": sent_at}, "unique_id": unique_id}
        while await db["ocpp_logs"].find_one(query) is None:
            if time.perf_counter() - started > 30:
                break
            await asyncio.sleep(0.005)
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.1)
    return latencies


class BusSink:
    """Counts every telemetry event the bridge publishes; remembers when each of the probe
    charger's OCPP logs went by (its unique id, direction)."""

    def __init__(self, probe_evse: str) -> None:
        self.events = 0
        self._probe_subject = f"telemetry.events.ocpp.{probe_evse}"
        self.seen: dict[tuple[str, str], float] = {}

    async def on_event(self, msg: Any) -> None:
        self.events += 1
        if msg.subject == self._probe_subject:
            log = json.loads(msg.data)
            self.seen[(log["unique_id"], log["direction"])] = time.perf_counter()


async def probe_published(charger: SimulatedCharger, sink: BusSink, stop_at: float) -> list[float]:
    """Send a heartbeat, wait for its inbound OCPP log on the bus, repeat until `stop_at`."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    while loop.time() < stop_at:
        started = time.perf_counter()
        if not await probe_call(charger, latencies):
            continue
        unique_id = json.loads(charger.connection.frames[-2][1])[1]
        for _ in range(6000):  # 30 s
            if (unique_id, "inbound") in sink.seen:
                break
            await asyncio.sleep(0.005)
        seen_at = sink.seen.get((unique_id, "inbound"), time.perf_counter())
        latencies.append((seen_at - started) * 1000)
        await asyncio.sleep(0.1)
    return latencies


Recorded = Callable[[list[tuple[str, str, str]], datetime], Callable[[], Awaitable[bool]]]
"""For a level's chargers and its start: whether the bridge recorded all their boots."""


def bridge_recorded(db: Any) -> Recorded:
    """The bridge's store holds every charger's boot and a configuration read since `since`."""

    def check(urls: list[tuple[str, str, str]], since: datetime) -> Callable[[], Awaitable[bool]]:
        query = {
            "_id": {"$in": [cp_id for _, cp_id, _ in urls]},
            "boot": {"$exists": True},
            "configuration_at": {"$gte": since},
        }

        async def recorded() -> bool:
            return bool(await db["ocpp_chargers"].count_documents(query) == len(urls))

        return recorded

    return check


@dataclass
class Level:
    chargers: int
    connect_s: float
    settle_s: float
    frames: int
    failures: int
    rtt_p50: float
    rtt_p99: float
    cpu_us_per_frame: float
    rss_mb: float
    stored_p50: float | None = None
    stored_p99: float | None = None
    bus_events: int | None = None


async def run_level(
    count: int,
    urls: list[tuple[str, str, str]],
    pid: int,
    probe: Callable[[SimulatedCharger, float], Awaitable[list[float]]] | None,
    recorded: Recorded | None = None,
) -> Level:
    async with contextlib.AsyncExitStack() as stack:
        started = time.perf_counter()
        since = datetime.now(UTC).replace(microsecond=0)
        chargers: list[SimulatedCharger] = []
        for i in range(0, count, 50):
            batch = await asyncio.gather(
                *(
                    stack.enter_async_context(connected_charger(url, cp_id, password))
                    for url, cp_id, password in urls[i : min(i + 50, count)]
                )
            )
            chargers.extend(batch)
        for i in range(0, count, 100):
            await asyncio.gather(*(c.boot() for c in chargers[i : i + 100]))
            await asyncio.gather(
                *(c.status(ChargePointStatus.available) for c in chargers[i : i + 100])
            )
        connect_s = time.perf_counter() - started
        settle_s = await settle(pid, None if recorded is None else recorded(urls[:count], since))
        load = Load()
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + HOLD_S
        cpu_before = cpu_seconds(pid)
        spy = hold_profile(pid, f"{'baseline' if probe is None else 'bridge'}-{count}")
        work: list[Awaitable[Any]] = [pace(c, load, stop_at) for c in chargers[1:]]
        stored: list[float] = []
        if probe is not None:
            work.append(probe(chargers[0], stop_at))
        else:
            work.append(pace(chargers[0], load, stop_at))
        results = await asyncio.gather(*work)
        if probe is not None:
            stored = results[-1]
        cpu = cpu_seconds(pid) - cpu_before
        if spy is not None:
            await asyncio.to_thread(spy.wait)
        frames = 2 * (load.calls + len(stored))
        level = Level(
            chargers=count,
            connect_s=connect_s,
            settle_s=settle_s,
            frames=frames,
            failures=load.failures,
            rtt_p50=quantile(load.round_trips_ms, 50),
            rtt_p99=quantile(load.round_trips_ms, 99),
            cpu_us_per_frame=cpu / max(frames, 1) * 1e6,
            rss_mb=rss_mb(pid),
        )
        if stored:
            level.stored_p50 = quantile(stored, 50)
            level.stored_p99 = quantile(stored, 99)
        return level


async def settle(pid: int, recorded: Callable[[], Awaitable[bool]] | None = None) -> float:
    """Wait (at most 120 s) for the connect storm's tail: what the server does in the
    background for the boots (the bridge's store writes: `recorded` says when they are all
    in) is not the hold's per-frame work. Then for quiet: under 20 ms of CPU in 0.5 s."""
    started = time.perf_counter()
    for _ in range(240):
        if recorded is None or await recorded():
            break
        await asyncio.sleep(0.5)
    before = cpu_seconds(pid)
    for _ in range(240):
        await asyncio.sleep(0.5)
        now = cpu_seconds(pid)
        if now - before < 0.02:
            break
        before = now
    return time.perf_counter() - started


def hold_profile(pid: int, name: str) -> subprocess.Popen[bytes] | None:
    """py-spy on `pid` for the hold phase (raw stacks, 50 Hz, without blocking it)."""
    if PROFILE is None:
        return None
    command = ["py-spy", "record", "--nonblocking", "-r", "50", "-f", "raw", "-p", str(pid)]
    command += ["-d", f"{HOLD_S:.0f}", "-o", f"{PROFILE}-{name}.txt"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def platform_levels(nats_url: str, mongodb_url: str, port: int, pid: int) -> list[Level]:
    async with open_database(mongodb_url, "bench_ocpp_bridge") as bridge_db:
        return await _platform_levels(nats_url, mongodb_url, pid, bridge_recorded(bridge_db))


async def _platform_levels(
    nats_url: str, mongodb_url: str, pid: int, recorded: Recorded
) -> list[Level]:
    nc = await nats.connect(nats_url)
    bus = BusClient(nc, timeout_s=30)
    credentials = [await enrol(bus) for _ in range(max(LEVELS))]
    urls = [(c.url, c.charge_point_id, c.password) for c in credentials]
    levels = []
    probe_evse = await evse_of(mongodb_url, credentials[0].charge_point_id)
    if SINK == "count":
        sink = BusSink(probe_evse)
        await nc.subscribe("telemetry.events.>", cb=sink.on_event)

        async def on_bus(charger: SimulatedCharger, stop_at: float) -> list[float]:
            return await probe_published(charger, sink, stop_at)

        for count in LEVELS:
            before = sink.events
            levels.append(await run_level(count, urls[:count], pid, on_bus, recorded))
            levels[-1].bus_events = sink.events - before
        await nc.drain()
        return levels
    async with open_database(mongodb_url, "bench_ocpp_telemetry") as db:

        async def probe(charger: SimulatedCharger, stop_at: float) -> list[float]:
            return await probe_stored(charger, db, probe_evse, stop_at)

        for count in LEVELS:
            levels.append(await run_level(count, urls[:count], pid, probe, recorded))
    await nc.drain()
    return levels


async def evse_of(mongodb_url: str, charge_point_id: str) -> str:
    async with open_database(mongodb_url, "bench_ocpp_bridge") as db:
        doc = await db["ocpp_chargers"].find_one({"_id": charge_point_id})
        assert doc is not None
        return str(doc["evse_uid"])


async def baseline_levels(port: int, pid: int) -> list[Level]:
    url = f"ws://127.0.0.1:{port}/ocpp"
    urls = [(f"{url}/CP-{i}", f"CP-{i}", "x" * 16) for i in range(max(LEVELS))]
    return [await run_level(count, urls[:count], pid, None) for count in LEVELS]


def platform_phase(mongodb_url: str) -> list[Level]:
    with tempfile.TemporaryDirectory(prefix="bench-nats-") as store_dir:
        server = NatsServer(Path(store_dir))
        server.start()
        port = free_port()
        env = {**QUIET, "EVSE_NATS_URL": server.url, "EVSE_MONGODB_URL": mongodb_url}
        telemetry = (
            spawn(["evse-telemetry"], env={**env, "EVSE_DATABASE": "bench_ocpp_telemetry"})
            if SINK == "store"
            else None
        )
        bridge_log = os.environ.get("BENCH_BRIDGE_LOG")  # a file for the bridge's own output
        bridge = spawn(
            ["evse-provider-bridge"],
            env={
                **env,
                "EVSE_DATABASE": "bench_ocpp_bridge",
                "EVSE_OCPP_PORT": str(port),
                "EVSE_SIMULATOR_URL": "http://127.0.0.1:9",
                # The probe charger heartbeats as soon as its last log is through (several a
                # second): above the 120 a minute a real charger gets, so it would be closed.
                "EVSE_OCPP_FRAMES_PER_MINUTE": "100000",
            },
            output=open(bridge_log, "ab") if bridge_log else subprocess.DEVNULL,  # noqa: SIM115
        )
        try:
            wait_for_port(port)
            return asyncio.run(platform_levels(server.url, mongodb_url, port, bridge.pid))
        finally:
            stop(bridge)
            if telemetry is not None:
                stop(telemetry)
            server.stop()


def baseline_phase() -> list[Level]:
    port = free_port()
    proc = spawn([sys.executable, __file__, "echo", str(port)], env=QUIET)
    try:
        wait_for_port(port)
        return asyncio.run(baseline_levels(port, proc.pid))
    finally:
        stop(proc)


def wait_for_port(port: int) -> None:
    for _ in range(600):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def echo_reply(raw: str) -> str | None:
    """The baseline's answer to a frame: an empty CALLRESULT to a CALL (the fields a Heartbeat
    or BootNotification answer needs), nothing to anything else."""
    message = json.loads(raw)
    if message[0] != 2:
        return None
    reply: dict[str, Any] = {}
    if message[2] == "Heartbeat":
        reply = {"currentTime": datetime.now(UTC).isoformat()}
    elif message[2] == "BootNotification":
        reply = {"currentTime": datetime.now(UTC).isoformat(), "interval": 30, "status": "Accepted"}
    return json.dumps([3, message[1], reply])


async def echo_server(port: int) -> None:
    """The baseline: answer every CALL with an empty CALLRESULT, nothing else."""

    async def answer(ws: ServerConnection) -> None:
        async for raw in ws:
            reply = echo_reply(str(raw))
            if reply is not None:
                await ws.send(reply)

    async with serve(answer, "127.0.0.1", port, subprotocols=["ocpp1.6"], ping_interval=None):  # type: ignore[list-item]
        await asyncio.Event().wait()


def report(platform_results: list[Level], baseline: list[Level], store: str) -> None:
    lines = [
        f"ocpp_connections  {datetime.now(UTC):%Y-%m-%d %H:%M}Z  {platform.node()}  "
        f"{os.cpu_count()} cores  store: {store}",
        f"heartbeat {HEARTBEAT_S:g} s, meter values {METER_S:g} s (30 s / 10 s compressed "
        f"{SCALE:g}x), held {HOLD_S:g} s per level; chargers in the bench process; sink: "
        + ("telemetry → store" if SINK == "store" else "counted on the bus, no telemetry"),
        "level  who       connect  settle  frames  fail  rtt p50  rtt p99   cpu/frame   rss    "
        + ("stored p50  stored p99" if SINK == "store" else "bus p50     bus p99"),
    ]
    held = 0
    for plat, base in zip(platform_results, baseline, strict=True):
        for who, lv in (("bridge", plat), ("baseline", base)):
            stored = (
                f"{lv.stored_p50:8.1f} ms {lv.stored_p99:8.1f} ms"
                if lv.stored_p99 is not None
                else ""
            )
            lines.append(
                f"{lv.chargers:5d}  {who:8s} {lv.connect_s:6.1f} s {lv.settle_s:5.1f} s "
                f"{lv.frames:7d} {lv.failures:5d} {lv.rtt_p50:6.1f} ms {lv.rtt_p99:6.1f} ms "
                f"{lv.cpu_us_per_frame:7.0f} µs "
                f"{lv.rss_mb:5.0f} MB  {stored}"
                + (f"  ({lv.bus_events} logs on the bus)" if lv.bus_events is not None else "")
            )
        ok = (
            plat.failures == 0
            and plat.rtt_p99 < HOLD_P99_MS
            and (plat.stored_p99 or 0) < STORED_P99_MS
        )
        held = plat.chargers if ok else held
        lines.append(
            f"       ratio bridge/baseline: cpu per frame "
            f"{plat.cpu_us_per_frame / base.cpu_us_per_frame:.1f}x, rtt p99 "
            f"{plat.rtt_p99 / base.rtt_p99:.1f}x, connect {plat.connect_s / base.connect_s:.1f}x; "
            f"held: {'yes' if ok else 'no'}"
        )
    top = platform_results[-1]
    real_rate = 2 * (1 / 30 + 1 / 10)
    estimate = 1e6 / (top.cpu_us_per_frame * real_rate)
    lines.append(
        f"held up to {held} chargers at {SCALE:g}x the real frame rate; at the real rate "
        f"({real_rate:.3f} frames/s per charger) one core of bridge CPU covers about "
        f"{estimate:,.0f} chargers (from cpu per frame at the top level)"
    )
    suffix = "" if SINK == "store" else "_count"
    write_result(f"ocpp_connections_{SCALE:g}x{suffix}", "\n".join(lines))


def main() -> None:
    baseline = baseline_phase()
    with mongodb() as mongo_backend:
        platform_results = platform_phase(mongo_backend.url)
    report(platform_results, baseline, mongo_backend.kind)


if __name__ == "__main__":
    if sys.argv[1:2] == ["echo"]:
        asyncio.run(echo_server(int(sys.argv[2])))
    else:
        main()
