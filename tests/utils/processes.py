"""Service replicas as separate processes, for tests that kill or restart what they depend on."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.errors import Error as NatsError

from evse_contracts.bus import Empty
from evse_devstack.processes import spawn, stop
from evse_runtime.settings import instance_health_subject

__all__ = ["Replica", "replica_process"]

_HEALTH = Empty().model_dump_json().encode()


@dataclass
class Replica:
    """One service process, answering its own health subject."""

    instance_id: str
    proc: subprocess.Popen[bytes]

    def freeze(self) -> None:
        """SIGSTOP the replica: it keeps its subscriptions and answers nothing."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def kill(self) -> None:
        """SIGKILL the replica: no drain, no acks, no replies to what it holds."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


@asynccontextmanager
async def replica_process(
    command: str,
    health_subject: str,
    *,
    instance_id: str,
    env: Mapping[str, str],
    log_file: Path,
) -> AsyncIterator[Replica]:
    """Start `command` (an `evse-*` entry point) with `env` plus `EVSE_INSTANCE_ID`, yield it
    once it answers its own health subject, stop it (SIGTERM) at the end if still alive.

    Its output goes to `log_file`, read when a test fails.
    """
    with log_file.open("wb") as output:
        proc = spawn([command], env={**env, "EVSE_INSTANCE_ID": instance_id}, output=output)
        try:
            await _answering(
                env["EVSE_NATS_URL"], instance_health_subject(health_subject, instance_id), proc
            )
            yield Replica(instance_id, proc)
        finally:
            await asyncio.to_thread(stop, proc)


async def _answering(nats_url: str, subject: str, proc: subprocess.Popen[bytes]) -> None:
    nc = await nats.connect(nats_url.split(","))
    try:
        for _ in range(1_200):
            assert proc.poll() is None, f"{proc.args!r} exited with {proc.returncode}"
            try:
                await nc.request(subject, _HEALTH, timeout=1)
                return
            except (NatsError, TimeoutError):
                await asyncio.sleep(0.05)
        raise AssertionError(f"{proc.args!r} never answered {subject}")
    finally:
        await nc.close()
