"""Telemetry ingestion throughput against same-run baselines, and list-query latency.

Over 300 lines: one script, whose four phases and their baselines must run in the same
process tree to be comparable; its two child modes (`null-telemetry`, `raw-consumer`) live here
because the script spawns itself.

Publishes BENCH_EVENTS (default 100k) status events and times until all are stored, as:
  (a) raw `insert_many` of the same documents into the same store (same indexes);
  platform: publish → JetStream → telemetry (separate process) → store;
  (b) raw JetStream: the same publishes, a bare pull consumer (separate process) that acks;
  platform with a null store (telemetry's real consumer path, no database writes).
(a) and the platform each write to a fresh store process of the same kind. Then the list
query (bus → telemetry → store, limit 50) p50/p99 over the stored rows, topped up with raw
inserts of other EVSEs to BENCH_QUERY_ROWS when that is larger. Prints ratios and
writes bench/results/telemetry_ingest.txt.

`python bench/telemetry_ingest.py null-telemetry` and `raw-consumer` are the child processes.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
from _common import QUIET, StallWatch, cpu_seconds, write_result
from nats.js import JetStreamContext

from evse_contracts.auth import Principal
from evse_contracts.bus import PRINCIPAL_HEADER
from evse_contracts.evses import EVSE_ONBOARDED, EvseOnboarded
from evse_contracts.ids import new_uid
from evse_contracts.telemetry import (
    MSG_ID_HEADER,
    STATUS_LOGS_LIST,
    TELEMETRY_STREAM,
    ConnectivitySample,
    ListLogs,
    StatusLog,
    event_subject,
    message_id,
)
from evse_devstack.backends import Backend, NatsServer, mongodb
from evse_devstack.backends import nats as nats_backend
from evse_devstack.processes import spawn, stop
from evse_runtime.bus_client import BusClient
from evse_runtime.consumers import declare_consumer, pull_config
from evse_runtime.mongo import open_database
from evse_runtime.service import run_service
from evse_runtime.streams import DEADLETTER, EVSE_EVENTS, TELEMETRY, ensure_stream
from evse_telemetry.app import create_service, log_consumer
from evse_telemetry.connectivity import Reliability7d, Snapshot
from evse_telemetry.settings import TelemetrySettings
from evse_telemetry.store import Document, ListQuery, MongoTelemetryStore

EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
QUERY_ROWS = int(os.environ.get("BENCH_QUERY_ROWS", "0"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "1000"))
NATS_NODES = int(os.environ.get("BENCH_NATS_NODES", "1"))
"""3: the platform phase runs on a 3-node cluster on loopback with every stream kept on all
three nodes (`EVSE_STREAM_REPLICAS=3`), as production does; the baselines stay as they are."""
EVSES = 100
PUBLISH_WINDOW = 1000
RAW_CONSUMER = "bench-raw"
STALL_S = 60.0
APPLICATION_UID = "app01"


def make_events(count: int, evse_uids: Sequence[str]) -> list[StatusLog]:
    start = datetime.now(UTC) - timedelta(days=2)
    link = ConnectivitySample(connection_type="cellular", signal_strength_dbm=-81)
    return [
        StatusLog(
            evse_uid=evse_uids[i % len(evse_uids)],
            sampled_at=start + timedelta(seconds=i // len(evse_uids)),
            state="charging",
            online=i % 50 != 0,
            plugged_in=True,
            power_w=7200.0,
            session_energy_wh=float(i % 10_000),
            connectivity=link,
        )
        for i in range(count)
    ]


async def publish_all(js: JetStreamContext, events: Sequence[StatusLog]) -> None:
    """Publish with JetStream acks, `PUBLISH_WINDOW` in flight at a time."""
    wire = [(event_subject(e), e.model_dump_json().encode(), message_id(e)) for e in events]
    for i in range(0, len(wire), PUBLISH_WINDOW):
        await asyncio.gather(
            *(
                js.publish(subject, payload, headers={MSG_ID_HEADER: msg_id})
                for subject, payload, msg_id in wire[i : i + PUBLISH_WINDOW]
            )
        )


async def consumed(js: JetStreamContext, durable: str, count: int) -> None:
    """Wait until `durable` has delivered and had acked `count` messages."""
    stall = StallWatch(durable, STALL_S)
    while True:
        info = await js.consumer_info(TELEMETRY_STREAM, durable)
        if info.delivered.stream_seq >= count and not info.num_pending + info.num_ack_pending:
            return
        stall.check(info.ack_floor.stream_seq)
        await asyncio.sleep(0.05)


async def timed_ingest(nats_url: str, durable: str, events: Sequence[StatusLog]) -> float:
    nc = await nats.connect(nats_url.split(","))
    js = nc.jetstream()
    try:
        while True:  # the consumer process declares its consumer at start
            with suppress(Exception):
                await js.consumer_info(TELEMETRY_STREAM, durable)
                break
            await asyncio.sleep(0.1)
        started = time.perf_counter()
        await publish_all(js, events)
        await consumed(js, durable, len(events))
        return time.perf_counter() - started
    finally:
        await nc.drain()


async def raw_insert(mongodb_url: str, events: Sequence[StatusLog]) -> float:
    async with open_database(mongodb_url, "bench_raw") as db:
        await db.client.drop_database("bench_raw")
        await MongoTelemetryStore(db, retention_days=400).ensure_indexes()
        docs = [e.model_dump() for e in events]
        started = time.perf_counter()
        await db["status_logs"].insert_many(docs, ordered=False)
        return time.perf_counter() - started


def ingest_phase(command: list[str | Path], env: dict[str, str], durable: str) -> float:
    """A fresh NATS server, the consumer process, then publish and wait."""
    with tempfile.TemporaryDirectory(prefix="bench-nats-") as store_dir:
        server = NatsServer(Path(store_dir))
        server.start()
        proc = spawn(command, env={**QUIET, **env, "EVSE_NATS_URL": server.url})
        try:
            events = make_events(EVENTS, [new_uid("evse") for _ in range(EVSES)])
            return asyncio.run(timed_ingest(server.url, durable, events))
        finally:
            stop(proc)
            server.stop()


async def list_query_latency(nats_url: str, mongodb_url: str, database: str) -> dict[str, Any]:
    """Onboard the stored EVSEs, then time sequential list requests over the bus."""
    async with open_database(mongodb_url, database) as db:
        evse_uids = await db["status_logs"].distinct("evse_uid")
        if QUERY_ROWS > EVENTS:
            await top_up(db, QUERY_ROWS - EVENTS)
        rows = await db["status_logs"].estimated_document_count()
        bounds = await db["status_logs"].find_one(sort=[("sampled_at", 1)])
        assert bounds is not None
        first: datetime = bounds["sampled_at"]
        nc = await nats.connect(nats_url.split(","))
        js = nc.jetstream()
        for uid in evse_uids:
            event = EvseOnboarded(
                evse_uid=uid,
                evse_id=abs(hash(uid)) % 10**12,
                application_uid=APPLICATION_UID,
                user_uid=None,
                evse_model_uid="evsemodel01",
                provider=None,
                serial_number=uid,
                occurred_at=datetime.now(UTC),
            )
            await js.publish(EVSE_ONBOARDED, event.model_dump_json().encode())
        while await db["evse_access"].count_documents({}) < len(evse_uids):
            await asyncio.sleep(0.1)
        span = (EVENTS // EVSES) * 1.0
        query = ListQuery(
            "status", evse_uids[0], None, first + timedelta(seconds=span / 2), None, 51
        )
        explain = (
            await db["status_logs"].find(query.filter()).sort(query.sort()).limit(51).explain()
        )
        plan = str(explain["queryPlanner"]["winningPlan"])
        bus = BusClient(nc, timeout_s=10)
        principal = Principal(kind="application", application_uid=APPLICATION_UID)
        headers = {PRINCIPAL_HEADER: principal.model_dump_json()}
        latencies = []
        rng = random.Random(7)
        for _ in range(QUERIES):
            until = first + timedelta(seconds=rng.uniform(50, span))
            request = ListLogs(evse_id=rng.choice(evse_uids), until=until, limit=50)
            started = time.perf_counter()
            page = await bus.request(STATUS_LOGS_LIST, request, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            assert len(page.results) == 50
        await nc.drain()
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "rows": rows,
        "p50": cuts[49],
        "p99": cuts[98],
        "ixscan": "IXSCAN" in plan and "COLLSCAN" not in plan,
    }


async def top_up(db: Any, extra: int) -> None:
    others = [new_uid("evse") for _ in range(1000)]
    for i in range(0, extra, 50_000):
        chunk = make_events(min(50_000, extra - i), others)
        await db["status_logs"].insert_many([e.model_dump() for e in chunk], ordered=False)
        others = [new_uid("evse") for _ in range(1000)]


def cpu_of(pids: Sequence[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def platform_phase(store: Backend) -> tuple[float, dict[str, float], dict[str, Any]]:
    """The platform's ingest time, the CPU seconds each process spent on it, the list query."""
    database = f"bench_platform_{os.getpid()}"
    with nats_backend(nodes=NATS_NODES) as server:
        env = {
            **QUIET,
            "EVSE_NATS_URL": server.url,
            "EVSE_STREAM_REPLICAS": str(NATS_NODES),
            "EVSE_MONGODB_URL": store.url,
            "EVSE_DATABASE": database,
        }
        proc = spawn(["evse-telemetry"], env=env)
        try:
            events = make_events(EVENTS, [new_uid("evse") for _ in range(EVSES)])
            parts = {"store": store.pids, "telemetry": (proc.pid,), "NATS": server.pids}
            before = {name: cpu_of(pids) for name, pids in parts.items()}
            publisher = time.process_time()
            elapsed = asyncio.run(timed_ingest(server.url, log_consumer("status"), events))
            cpu = {name: cpu_of(pids) - before[name] for name, pids in parts.items()}
            cpu["publisher"] = time.process_time() - publisher
            stored = asyncio.run(count(store.url, database))
            if stored != EVENTS:
                raise RuntimeError(f"stored {stored} of {EVENTS} events")
            query = asyncio.run(list_query_latency(server.url, store.url, database))
            return elapsed, cpu, query
        finally:
            stop(proc)


async def count(mongodb_url: str, database: str) -> int:
    async with open_database(mongodb_url, database) as db:
        return await db["status_logs"].count_documents({})


class NullStore:
    """Accepts every write and stores nothing: the platform's own cost, without a database."""

    async def ensure_indexes(self) -> None:
        return None

    async def insert_logs(self, kind: str, docs: Sequence[Document]) -> dict[int, str]:
        return {}

    async def merge_snapshots(self, snapshots: Sequence[Snapshot]) -> None:
        return None

    async def get_snapshot(self, evse_uid: str) -> Snapshot | None:
        return None

    async def list_logs(self, query: ListQuery) -> list[Document]:
        return []

    async def get_log(self, kind: str, evse_uid: str, at: datetime) -> Document | None:
        return None

    async def reliability(self, evse_uid: str, now: datetime) -> Reliability7d:
        return Reliability7d(None, None, 0, None)

    async def record_onboarded(self, event: Any) -> None:
        return None

    async def record_reconnected(self, event: Any) -> None:
        return None

    async def record_decommissioned(self, event: Any) -> None:
        return None

    async def find_access(self, evse_id: str) -> None:
        return None


def serve_null_telemetry() -> None:
    run_service(create_service(TelemetrySettings(), store_factory=lambda db, s: NullStore()))  # type: ignore[arg-type,return-value]


async def raw_consume(nats_url: str) -> None:
    """A bare durable pull consumer on the same stream: fetch 500, ack each, repeat."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    for stream in (TELEMETRY, EVSE_EVENTS, DEADLETTER):
        await ensure_stream(js, stream, replicas=1)
    config = pull_config(
        RAW_CONSUMER, "telemetry.events.status.>", ack_wait_s=30, max_deliver=20, batch=500
    )
    await declare_consumer(js, TELEMETRY_STREAM, config)
    sub = await js.pull_subscribe_bind(RAW_CONSUMER, stream=TELEMETRY_STREAM)
    while True:
        try:
            msgs = await sub.fetch(500, timeout=1)
        except TimeoutError:
            continue
        for msg in msgs:
            await msg.ack()


def report(results: dict[str, Any], store: str) -> None:
    settings = TelemetrySettings()
    raw, plat = results["raw_insert"], results["platform"]
    raw_js, null = results["raw_jetstream"], results["platform_null"]
    query = results["query"]

    def rate(seconds: float) -> str:
        return f"{seconds:7.2f} s  {EVENTS / seconds:8.0f} events/s"

    lines = [
        f"telemetry_ingest  {datetime.now(UTC):%Y-%m-%d %H:%M}Z  {platform.node()}  "
        f"{os.cpu_count()} cores  store: {store}",
        f"{EVENTS} status events over {EVSES} EVSEs; telemetry in its own process, "
        f"batch_size {settings.batch_size}, pulls_per_consumer {settings.pulls_per_consumer}",
        f"(a) raw insert_many into the store (same indexes):   {rate(raw)}",
        f"platform: publish → JetStream (R{NATS_NODES}) → telemetry → store: {rate(plat)}",
        f"    ratio platform/(a): {raw / plat:.2f}x   (target >= 0.85x)",
        f"    CPU seconds: store {results['raw_insert_store_cpu']:.1f} for (a); for the "
        "platform " + ", ".join(f"{name} {s:.1f}" for name, s in results["platform_cpu"].items()),
        f"(b) raw JetStream publish + pull consume + ack:       {rate(raw_js)}",
        f"platform with a null store:                           {rate(null)}",
        f"    ratio platform-null/(b): {raw_js / null:.2f}x   (target >= 0.50x)",
        f"list query (bus → telemetry → store, limit 50, {QUERIES} sequential requests, "
        f"{query['rows']} rows in status_logs): p50 {query['p50']:.2f} ms  "
        f"p99 {query['p99']:.2f} ms  plan IXSCAN on (evse_uid, sampled_at): {query['ixscan']}",
    ]
    write_result("telemetry_ingest", "\n".join(lines))


def main() -> None:
    # Each phase that writes gets a store of its own: the embedded store's CPU per write grows
    # with what it has taken in before, so a shared store would charge the phase run second.
    results: dict[str, Any] = {}
    with mongodb() as mongo_backend:
        events = make_events(EVENTS, [new_uid("evse") for _ in range(EVSES)])
        store_cpu = cpu_of(mongo_backend.pids)
        results["raw_insert"] = asyncio.run(raw_insert(mongo_backend.url, events))
        results["raw_insert_store_cpu"] = cpu_of(mongo_backend.pids) - store_cpu
    with mongodb() as mongo_backend:
        results["platform"], results["platform_cpu"], results["query"] = platform_phase(
            mongo_backend
        )
    bench = Path(__file__)
    results["raw_jetstream"] = ingest_phase(
        [sys.executable, bench, "raw-consumer"], {}, RAW_CONSUMER
    )
    with mongodb() as mongo_backend:
        results["platform_null"] = ingest_phase(
            [sys.executable, bench, "null-telemetry"],
            {"EVSE_MONGODB_URL": mongo_backend.url, "EVSE_DATABASE": "bench_null"},
            log_consumer("status"),
        )
    report(results, mongo_backend.kind)


if __name__ == "__main__":
    if sys.argv[1:] == ["null-telemetry"]:
        serve_null_telemetry()
    elif sys.argv[1:] == ["raw-consumer"]:
        asyncio.run(raw_consume(os.environ["EVSE_NATS_URL"]))
    else:
        main()
