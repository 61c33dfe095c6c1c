"""CPU per frame of the bridge's OCPP session path, in-process, and where it goes.

One `ChargerSession` behind its `FrameTap` reads BENCH_CALLS calls (a Heartbeat for every
three MeterValues, as a charger on the real schedule sends) from an in-memory socket and
answers them; every log it publishes is serialised as for the bus, then dropped. No network,
NATS or store: what is left is the bridge's own work per frame (framing excluded). Prints µs
per frame (best of 3), then, with `--profile`, cProfile's top functions by cumulative time.

    uv run --frozen python bench/ocpp_frame_profile.py [--profile]
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from typing import Any, cast

import evse_provider_bridge.central_system.server  # noqa: F401  (inline validation, as served)
from evse_provider_bridge.central_system.event_queue import EventQueue
from evse_provider_bridge.central_system.frame_tap import FrameTap
from evse_provider_bridge.central_system.session import ChargerSession, SessionSettings
from evse_provider_bridge.central_system.store import OcppCharger, OcppStore
from evse_provider_bridge.telemetry_publisher import EncodedEvent

CALLS = int(os.environ.get("BENCH_CALLS", "4000"))
SETTINGS = SessionSettings(
    heartbeat_interval_s=30, response_timeout_s=30, id_tag="PLATFORM", frames_per_minute=10**9
)


class Socket:
    """The charger's frames, newest last; what the bridge answers."""

    def __init__(self, frames: list[str]) -> None:
        self.frames = frames[::-1]
        self.sent = 0

    async def recv(self) -> str:
        if not self.frames:
            raise EOFError
        return self.frames.pop()

    async def send(self, raw: str) -> None:
        self.sent += 1


class Sink:
    """The log queue: each event arrives encoded as it is published; counted, then dropped."""

    def __init__(self) -> None:
        self.events = 0

    async def put(self, event: EncodedEvent) -> None:
        self.events += 1


def charger_frames(count: int) -> list[str]:
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    samples = [
        {"value": "1000000", "measurand": "Energy.Active.Import.Register"},
        {"value": "0", "measurand": "Power.Active.Import", "unit": "W"},
        {"value": "16", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
    ]
    meter = {"connectorId": 1, "meterValue": [{"timestamp": at, "sampledValue": samples}]}
    return [
        json.dumps([2, f"h-{i}", "Heartbeat", {}])
        if i % 4 == 0
        else json.dumps([2, f"m-{i}", "MeterValues", meter])
        for i in range(count)
    ]


async def serve(profile: cProfile.Profile | None) -> float:
    """CPU µs per frame (a call and its answer are two frames) for CALLS calls."""
    socket, sink = Socket(charger_frames(CALLS)), Sink()
    charger = OcppCharger("CP-1", "evse-1", "app-1", "-", datetime.now(UTC))
    tap = FrameTap(
        cast(Any, socket), evse_uid="evse-1", events=cast(EventQueue, sink), frames_per_minute=10**9
    )
    session = ChargerSession(
        charger, tap, store=cast(OcppStore, None), events=cast(EventQueue, sink), settings=SETTINGS
    )
    started = time.process_time()
    if profile is not None:
        profile.enable()
    try:
        await session.start()
    except EOFError:
        pass
    if profile is not None:
        profile.disable()
    assert socket.sent == CALLS
    return (time.process_time() - started) / (2 * CALLS) * 1e6


def main() -> None:
    best = min(asyncio.run(serve(None)) for _ in range(3))
    sys.stdout.write(f"{CALLS} calls: {best:.1f} µs CPU per frame (best of 3)\n")
    if "--profile" in sys.argv:
        profile = cProfile.Profile()
        asyncio.run(serve(profile))
        pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
