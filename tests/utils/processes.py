"""Service replicas as separate processes, and servers, for tests that kill or restart them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import nats
from nats.errors import Error as NatsError

from evse_contracts.bus import Empty
from evse_devstack.bus_users import service_env
from evse_devstack.processes import spawn, stop
from evse_runtime.settings import instance_health_subject

__all__ = ["Replica", "process_env", "replica_process", "service_replica", "started"]

_HEALTH = Empty().model_dump_json().encode()


@dataclass
class Replica:
    """One service process, answering its own health subject."""

    instance_id: str
    proc: subprocess.Popen[bytes]
    log_file: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self) -> str:
        """The end of its output, to show when a test fails."""
        return self.log_file.read_text()[-3000:]

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
            yield Replica(instance_id, proc, log_file)
        finally:
            await asyncio.to_thread(stop, proc)


def process_env(
    service: str, *, nats_url: str, mongodb_url: str, database: str, **settings: object
) -> dict[str, str]:
    """The environment of an `evse-<service>` process on these backends, as its own bus user,
    logging warnings and worse; each of `settings` becomes an `EVSE_<NAME>` variable."""
    return {
        "EVSE_NATS_URL": nats_url,
        **service_env(service),
        "EVSE_MONGODB_URL": mongodb_url,
        "EVSE_DATABASE": database,
        "EVSE_LOG_LEVEL": "WARNING",
        **{f"EVSE_{name.upper()}": str(value) for name, value in settings.items()},
    }


def service_replica(
    service: str, name: str, *, env: Mapping[str, str], logs: Path
) -> AbstractAsyncContextManager[Replica]:
    """Replica `<service>-<name>` of `evse-<service>` (see `replica_process`), its output in
    `logs/<service>-<name>.log`."""
    return replica_process(
        f"evse-{service}",
        f"{service}.health",
        instance_id=f"{service}-{name}",
        env=env,
        log_file=logs / f"{service}-{name}.log",
    )


class _Server(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


ServerT = TypeVar("ServerT", bound=_Server)


@contextmanager
def started(server: ServerT) -> Iterator[ServerT]:
    """Start `server` for the block; stop it at the end, whatever happened."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


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
