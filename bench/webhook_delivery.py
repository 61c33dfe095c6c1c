"""Webhook delivery throughput to 100 subscriptions, and state-change → webhook latency.

Over 300 lines: one script; the receiver it serves, the httpx baseline and the two phases
share the processes it starts, and the receiver runs as this script's own child mode.

One application, BENCH_SUBSCRIPTIONS (default 100) webhook subscriptions to
`evse.status_changed`, each pointing at its own path of one receiver process (uvicorn +
starlette, which records every event it takes and its latency from `sampled_at`).

Throughput: BENCH_CHANGES (default 2000) status changes over 20 EVSEs are published to
`TELEMETRY`; the notifier (its own process) derives the events and delivers them in signed
batches until every subscription has all of them. Baseline: the same number of events, in
batches of the notifier's batch size, POSTed to the same receivers by a plain httpx loop
(one sequential task per receiver path, all concurrent).

Latency: BENCH_PACED (default 200) changes published 20 per second; p50/p99 of the time from
`sampled_at` (taken when publishing) to the receiver taking the event, against the same
single-event POST made directly with httpx.

BENCH_PROFILE=<file> runs the notifier under cProfile and writes its profile to <file>
(`python -m pstats <file>` reads it).

Prints ratios and writes bench/results/webhook_delivery.txt. `python bench/webhook_delivery.py
receiver <port>` is the receiver child process.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import uvicorn
from _common import QUIET, StallWatch, write_result
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from evse_contracts.auth import Principal
from evse_contracts.bus import PRINCIPAL_HEADER
from evse_contracts.evses import EVSE_ONBOARDED, EvseOnboarded
from evse_contracts.ids import new_uid
from evse_contracts.notifications import (
    WEBHOOK_SUBSCRIPTIONS_CREATE,
    CreateWebhookSubscription,
    EvseStatusChanged,
    WebhookBatch,
    event_id,
)
from evse_contracts.telemetry import StatusLog, publish_event, to_utc_millis
from evse_devstack.backends import NatsServer, mongodb
from evse_devstack.processes import free_port, spawn, stop
from evse_runtime.bus_client import BusClient
from evse_runtime.streams import EVSE_EVENTS, TELEMETRY, ensure_stream

SUBSCRIPTIONS = int(os.environ.get("BENCH_SUBSCRIPTIONS", "100"))
CHANGES = int(os.environ.get("BENCH_CHANGES", "2000"))
PACED = int(os.environ.get("BENCH_PACED", "200"))
PROFILE = os.environ.get("BENCH_PROFILE", "")
PACE_PER_S = 20
EVSES = 20
BATCH = 100
"""The notifier's default `webhook_batch_max`; the baseline posts batches of this size."""
STALL_S = 120.0


def receiver_app() -> Starlette:
    """Takes every batch (204), recording the events' count and latency from `sampled_at`."""
    latencies: list[float] = []
    counts: dict[str, int] = {}

    async def take(request: Request) -> Response:
        now = time.time()
        events = json.loads(await request.body())["events"]
        path = request.path_params["index"]
        counts[path] = counts.get(path, 0) + len(events)
        for event in events:
            sampled = datetime.fromisoformat(event["sampled_at"].replace("Z", "+00:00"))
            latencies.append(now - sampled.timestamp())
        return Response(status_code=204)

    async def stats(_: Request) -> Response:
        return JSONResponse({"counts": counts, "latencies": latencies})

    async def reset(_: Request) -> Response:
        latencies.clear()
        counts.clear()
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/r/{index}", take, methods=["POST"]),
            Route("/stats", stats),
            Route("/reset", reset, methods=["POST"]),
        ]
    )


def serve_receiver(port: int) -> None:
    # Keep-alive longer than the run: a connection closed while idle races the next POST on
    # it (httpx raises ReadError, the notifier backs off), which is not what is measured.
    uvicorn.run(
        receiver_app(), host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=600
    )


async def wait_for(receiver: str, each: int, http: httpx.AsyncClient) -> dict[str, Any]:
    """Poll the receiver until every path has `each` events; its stats."""
    stall = StallWatch("delivery", STALL_S)
    while True:
        stats: dict[str, Any] = (await http.get(f"{receiver}/stats")).json()
        counts = stats["counts"]
        if len(counts) == SUBSCRIPTIONS and min(counts.values()) >= each:
            return stats
        stall.check(sum(counts.values()))
        await asyncio.sleep(0.05)


def sample(evse_uid: str, index: int) -> StatusLog:
    return StatusLog(
        evse_uid=evse_uid,
        sampled_at=to_utc_millis(datetime.now(UTC)),
        state="charging" if index % 2 == 0 else "available",
        online=True,
        plugged_in=True,
    )


async def platform_phase(nats_url: str, receiver: str) -> dict[str, Any]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    http = httpx.AsyncClient(timeout=30)
    try:
        for stream in (TELEMETRY, EVSE_EVENTS):
            await ensure_stream(js, stream, replicas=1)
        app = new_uid("app")
        principal = Principal(kind="application", application_uid=app, scopes=("evses:read",))
        bus = BusClient(nc, timeout_s=10)
        for _ in range(600):
            if await bus.ping("notifier.health"):
                break
            await asyncio.sleep(0.1)
        for index in range(SUBSCRIPTIONS):
            request = CreateWebhookSubscription.model_validate(
                {"url": f"{receiver}/r/{index}", "event_types": ["evse.status_changed"]}
            )
            headers = {PRINCIPAL_HEADER: principal.model_dump_json()}
            await bus.request(WEBHOOK_SUBSCRIPTIONS_CREATE, request, headers=headers)
        evses = [new_uid("evse") for _ in range(EVSES)]
        for number, evse_uid in enumerate(evses):
            onboarded = EvseOnboarded(
                evse_uid=evse_uid,
                evse_id=number + 1,
                application_uid=app,
                user_uid=None,
                evse_model_uid="evsemodel01",
                provider="zaptec",
                serial_number=f"ZAP-{number}",
                occurred_at=datetime.now(UTC),
            )
            await js.publish(EVSE_ONBOARDED, onboarded.model_dump_json().encode())
        await asyncio.sleep(2.0)  # the notifier's projection knows every EVSE
        started = time.perf_counter()
        for index in range(CHANGES):
            await publish_event(js, sample(evses[index % EVSES], index // EVSES))
            if index % EVSES == EVSES - 1:
                await asyncio.sleep(0.001)  # distinct sampled_at per EVSE round
        await wait_for(receiver, CHANGES, http)
        seconds = time.perf_counter() - started
        await http.post(f"{receiver}/reset")
        for index in range(PACED):
            await publish_event(js, sample(evses[index % EVSES], (CHANGES + index) // EVSES))
            await asyncio.sleep(1 / PACE_PER_S)
        stats = await wait_for(receiver, PACED, http)
        await http.post(f"{receiver}/reset")
        return {"seconds": seconds, "latencies": stats["latencies"]}
    finally:
        await http.aclose()
        await nc.drain()


def batch_of(events: int, offset: int) -> bytes:
    now = to_utc_millis(datetime.now(UTC))
    built = tuple(
        EvseStatusChanged(
            id=event_id(f"bench:{offset + i}", "evse.status_changed", now),
            occurred_at=now,
            application_uid="app",
            user_uid=None,
            evse_uid="evse",
            status={"state": "charging", "plugged_in": True, "online": True},
            previous=None,
            sampled_at=now,
        )
        for i in range(events)
    )
    batch = WebhookBatch(subscription_id="whsub", events=built)
    return batch.__pydantic_serializer__.to_json(batch)


async def baseline_phase(receiver: str) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def feed(index: int) -> None:
            for offset in range(0, CHANGES, BATCH):
                body = batch_of(min(BATCH, CHANGES - offset), offset)
                headers = {"content-type": "application/json"}
                response = await http.post(f"{receiver}/r/{index}", content=body, headers=headers)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(feed(index) for index in range(SUBSCRIPTIONS)))
        seconds = time.perf_counter() - started
        await http.post(f"{receiver}/reset")

        async def one(index: int) -> None:
            await http.post(f"{receiver}/r/{index}", content=batch_of(1, index))

        for _ in range(PACED):
            await asyncio.gather(*(one(sub) for sub in range(SUBSCRIPTIONS)))
            await asyncio.sleep(1 / PACE_PER_S)
        stats = (await http.get(f"{receiver}/stats")).json()
        await http.post(f"{receiver}/reset")
    return {"seconds": seconds, "latencies": stats["latencies"]}


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] * 1000


def report(plat: dict[str, Any], base: dict[str, Any]) -> None:
    deliveries = CHANGES * SUBSCRIPTIONS
    rate_p, rate_b = deliveries / plat["seconds"], deliveries / base["seconds"]
    p50_p, p99_p = percentile(plat["latencies"], 0.5), percentile(plat["latencies"], 0.99)
    p50_b, p99_b = percentile(base["latencies"], 0.5), percentile(base["latencies"], 0.99)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%MZ")
    machine = f"{platform.node() or 'host'}  {os.cpu_count()} cores"
    text = "\n".join(
        [
            f"webhook_delivery  {stamp}  {machine}  store: embedded secantusdb (in memory)",
            f"{CHANGES} status changes over {EVSES} EVSEs × {SUBSCRIPTIONS} subscriptions "
            f"= {deliveries} event deliveries; notifier in its own process, batch {BATCH}",
            f"baseline: plain httpx loop → same receivers:     {base['seconds']:7.2f} s  "
            f"{rate_b:9.0f} events/s",
            f"platform: TELEMETRY → notifier → webhooks:      {plat['seconds']:7.2f} s  "
            f"{rate_p:9.0f} events/s",
            f"    ratio platform/baseline: {rate_p / rate_b:.2f}x",
            f"latency, {PACED} changes at {PACE_PER_S}/s, sampled_at → receiver, "
            f"{len(plat['latencies'])} deliveries:",
            f"    platform p50 {p50_p:.1f} ms  p99 {p99_p:.1f} ms;  direct httpx p50 "
            f"{p50_b:.1f} ms  p99 {p99_b:.1f} ms;  p99 ratio {p99_p / p99_b:.1f}x",
        ]
    )
    write_result("webhook_delivery", text)


def main() -> None:
    port = free_port()
    receiver = f"http://127.0.0.1:{port}"
    receiver_proc = spawn([sys.executable, __file__, "receiver", str(port)])
    try:
        with mongodb() as mongo, tempfile.TemporaryDirectory() as store_dir:
            server = NatsServer(Path(store_dir))
            server.start()
            env = {
                **QUIET,
                "EVSE_NATS_URL": server.url,
                "EVSE_MONGODB_URL": mongo.url,
                "EVSE_DATABASE": f"bench_notifier_{os.getpid()}",
                "EVSE_WEBHOOK_ALLOW_HTTP": "true",
                "EVSE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
                "EVSE_WEBHOOK_BATCH_MAX": str(BATCH),
                "EVSE_WEBHOOK_MAX_PER_APPLICATION": str(SUBSCRIPTIONS),
            }
            profiled = [sys.executable, "-m", "cProfile", "-o", PROFILE, "-m", "evse_notifier"]
            notifier = spawn(profiled if PROFILE else ["evse-notifier"], env=env)
            try:
                plat = asyncio.run(platform_phase(server.url, receiver))
                sys.stdout.write(f"platform phase: {plat['seconds']:.2f} s\n")
            finally:
                stop(notifier)
                server.stop()
        base = asyncio.run(baseline_phase(receiver))
    finally:
        stop(receiver_proc)
    report(plat, base)


if __name__ == "__main__":
    if sys.argv[1:2] == ["receiver"]:
        serve_receiver(int(sys.argv[2]))
    else:
        main()
