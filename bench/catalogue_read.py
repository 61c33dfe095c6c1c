"""GET /v2/evse_models/{id} through the whole path vs a raw FastAPI→NATS→echo baseline.

All run as separate processes on this machine, each loaded by wrk at 32 connections in the
same run: the baseline; a gateway with its catalogue cache off (every read crosses NATS to
the catalogue, the path the target is about); the same gateway with its cache on (200 from
memory); and revalidation (`If-None-Match` → 304). Prints requests/s, p50/p99 and the ratios,
and writes them to bench/results/.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from _common import cpu_seconds, write_result

from evse_catalogue.seed import load_seed
from evse_contracts.auth import Principal
from evse_contracts.ids import new_uid
from evse_contracts.onboarding import SCOPES
from evse_devstack.backends import mongodb, nats
from evse_devstack.keys import KeyPair, ensure_keypair
from evse_devstack.processes import free_port, spawn, stop, wait_for_port
from evse_onboarding.tokens import TokenSigner, load_private_key

BENCH = Path(__file__).parent
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = 32


def wrk(url: str, *headers: str, pids: tuple[int, ...] = ()) -> dict[str, float]:
    """wrk's rate and latencies, and the CPU µs per request of each process in `pids`
    (front first, then what answers it behind the bus)."""
    header_args = [arg for header in headers for arg in ("-H", header)]
    cpu_before = [cpu_seconds(pid) for pid in pids]
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", *header_args, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(pct: str) -> float:
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url} answered {errors.group(1)} non-2xx responses")
    cpu_us = [
        (cpu_seconds(pid) - before) * 1e6 / requests
        for pid, before in zip(pids, cpu_before, strict=True)
    ]
    result = {"rps": rps, "p50_ms": latency("50"), "p99_ms": latency("99")}
    return result | {f"cpu_us_{n}": us for n, us in enumerate(cpu_us)}


def main() -> None:
    model = load_seed()["evse_models"][0]
    quiet = {"EVSE_LOG_LEVEL": "WARNING"}
    with (
        tempfile.TemporaryDirectory() as keys_dir,
        nats() as nats_backend,
        mongodb() as mongo_backend,
    ):
        keys = ensure_keypair(Path(keys_dir))
        authorization = f"Authorization: Bearer {_token(keys)}"
        env = {**quiet, "EVSE_NATS_URL": nats_backend.url, "EVSE_MONGODB_URL": mongo_backend.url}
        subprocess.run(["evse-catalogue", "seed"], env={**os.environ, **env}, check=True)
        port, uncached_port, base_port = free_port(), free_port(), free_port()
        gateway_env = {**env, "EVSE_JWT_PUBLIC_KEY_FILE": str(keys.public_key_file)}
        procs = [
            spawn(["evse-catalogue"], env=env),
            spawn(["evse-gateway"], env={**gateway_env, "EVSE_PORT": str(port)}),
            spawn(
                [
                    sys.executable,
                    BENCH / "echo_baseline.py",
                    "gateway",
                    nats_backend.url,
                    str(base_port),
                ]
            ),
        ]
        body = json.dumps({"ok": model})
        procs.append(
            spawn([sys.executable, BENCH / "echo_baseline.py", "responder", nats_backend.url, body])
        )
        uncached_env = {**gateway_env, "EVSE_PORT": str(uncached_port)}
        procs.append(
            spawn(["evse-gateway"], env={**uncached_env, "EVSE_CATALOGUE_CACHE_BYTES": "0"})
        )
        try:
            wait_for_port(base_port, procs[2])
            path = f"/v2/evse_models/{model['uid']}"
            for gateway in (port, uncached_port):
                wait_until_ready_catalogue(f"http://127.0.0.1:{gateway}", model["uid"])
                wrk(f"http://127.0.0.1:{gateway}{path}", authorization)  # warm-up
            catalogue, gateway_, echo_gateway, echo, uncached_gateway = (p.pid for p in procs)
            baseline = wrk(
                f"http://127.0.0.1:{base_port}/echo/{model['uid']}",
                authorization,
                pids=(echo_gateway, echo),
            )
            uncached = wrk(
                f"http://127.0.0.1:{uncached_port}{path}",
                authorization,
                pids=(uncached_gateway, catalogue),
            )
            cached = wrk(f"http://127.0.0.1:{port}{path}", authorization, pids=(gateway_,))
            etag = _etag(f"http://127.0.0.1:{port}{path}", authorization)
            revalidated = wrk(
                f"http://127.0.0.1:{port}{path}",
                authorization,
                f"If-None-Match: {etag}",
                pids=(gateway_,),
            )
        finally:
            for proc in procs:
                stop(proc)
    report(
        baseline,
        {"cache off": uncached, "cache on": cached, "If-None-Match": revalidated},
        mongo_backend.kind,
    )


def _cpu(result: dict[str, float]) -> str:
    """CPU per request: the HTTP front, then the bus responder behind it (where there is one)."""
    parts = [f"{result[key]:.0f}" for key in ("cpu_us_0", "cpu_us_1") if key in result]
    return "CPU µs/request " + " + ".join(parts)


def _etag(url: str, authorization: str) -> str:
    name, value = authorization.split(": ", 1)
    with urllib.request.urlopen(urllib.request.Request(url, headers={name: value})) as r:
        return str(r.headers["ETag"])


def _token(keys: KeyPair) -> str:
    """An application token, as callers that are not rate limited send (JWT verified, cached)."""
    signer = TokenSigner(load_private_key(keys.private_key_file), "evse-platform", 3600)
    principal = Principal(kind="application", application_uid=new_uid("app"), scopes=SCOPES)
    return signer.issue(principal, now=datetime.now(UTC)).access_token


def wait_until_ready_catalogue(base_url: str, uid: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/v2/evse_models/{uid}", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("catalogue never answered")


def report(baseline: dict[str, float], measured: dict[str, dict[str, float]], store: str) -> None:
    lines = [
        f"catalogue_read  {datetime.now(UTC):%Y-%m-%d %H:%M}Z  {platform.node()}  "
        f"{os.cpu_count()} cores  store: {store}",
        f"wrk -c{CONNECTIONS} -d{DURATION} GET /v2/evse_models/{{id}} with an application token "
        "(verified, so not rate limited)",
        f"baseline (FastAPI + raw nats-py request to echo): {baseline['rps']:.0f} req/s  "
        f"p50 {baseline['p50_ms']:.2f} ms  p99 {baseline['p99_ms']:.2f} ms  {_cpu(baseline)}",
        f"load average at the end: {os.getloadavg()[0]:.2f}",
    ]
    for name, result in measured.items():
        lines.append(
            f"platform, {name + ':':15} {result['rps']:.0f} req/s  p50 {result['p50_ms']:.2f} ms  "
            f"p99 {result['p99_ms']:.2f} ms  ratio {result['rps'] / baseline['rps']:.2f}x  "
            f"{_cpu(result)}"
        )
    lines.append("targets: cache off >= 0.85x the baseline, p99 <= 10 ms")
    write_result("catalogue_read", "\n".join(lines))


if __name__ == "__main__":
    main()
