"""The whole platform as separate processes: backends, every service and the gateway."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evse_contracts.permissions import SERVICE_PERMISSIONS

from .backends import Backend, mongodb, nats
from .bus_users import service_env
from .demo import DemoCredentials, create_demo_tenant
from .keys import ensure_keypair
from .processes import free_port, spawn, stop, stop_together

__all__ = ["BUS_SERVICES", "STACK_ENV_FILE", "Stack", "start_stack", "wait_until_ready"]

STACK_ENV_FILE = "stack.env"
"""Under the data dir: the running backends' URLs (read by `evse-admin`)."""

BUS_SERVICES = (
    "catalogue",
    "telemetry",
    "provider-bridge",
    "onboarding",
    "notifier",
    "smart-charging-service",
)


@dataclass
class Stack:
    nats: Backend
    mongodb: Backend
    base_url: str
    env: dict[str, str]
    log_dir: Path
    demo: DemoCredentials | None = None
    ocpp_url: str = ""
    """Where OCPP 1.6J chargers connect (the bridge's listener), `/<charge_point_id>` added."""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(
        self, name: str, command: Sequence[str], env: Mapping[str, str] | None = None
    ) -> None:
        """Start one named process with the stack's environment; its output goes to a log."""
        own = service_env(name) if name in SERVICE_PERMISSIONS else {}
        with (self.log_dir / f"{name}.log").open("ab") as log:
            self.processes[name] = spawn(
                command, env={**self.env, **own, **(env or {})}, output=log
            )

    def stop(self, name: str) -> None:
        stop(self.processes.pop(name))

    def stop_all(self) -> None:
        """Every process at once (the backends outlive them: they stop after the stack)."""
        stop_together(list(self.processes.values()))
        self.processes.clear()


def wait_until_ready(base_url: str, *, timeout_s: float = 60.0) -> None:
    """Poll `/readyz` until every service answers, or raise with the last reason."""
    deadline = time.monotonic() + timeout_s
    reason = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            reason = json.loads(exc.read() or b"{}").get("detail", str(exc))
        except OSError as exc:
            reason = str(exc)
        time.sleep(0.2)
    raise TimeoutError(f"the platform was not ready within {timeout_s:g} s: {reason}")


@contextlib.contextmanager
def start_stack(
    data_dir: Path,
    *,
    port: int | None = None,
    persistent: bool = True,
    extra_env: Mapping[str, str] | None = None,
    ocpp_port: int | None = None,
    nats_nodes: int = 1,
) -> Iterator[Stack]:
    """Backends, seeded catalogue, demo tenant, every bus service and the gateway.

    With `persistent`, NATS and MongoDB keep their data under `data_dir`; otherwise they
    start empty and only keys, credentials and logs go there. `extra_env` goes to every
    process (e.g. short bridge poll intervals in tests). With `nats_nodes` 3, NATS is a
    cluster on loopback and every stream and KV bucket is kept on all three nodes.
    Everything stops on exit.
    """
    port = port or free_port()
    simulator_port = free_port()
    ocpp_port = ocpp_port or free_port()
    ocpp_url = f"ws://127.0.0.1:{ocpp_port}/ocpp"
    base_url = f"http://127.0.0.1:{port}"
    log_dir = data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    keys = ensure_keypair(data_dir / "keys")
    with (
        nats(data_dir / "nats" if persistent else None, nodes=nats_nodes) as nats_backend,
        mongodb(data_dir / "mongo" if persistent else None) as mongo_backend,
    ):
        env = {
            "EVSE_NATS_URL": nats_backend.url,
            "EVSE_MONGODB_URL": mongo_backend.url,
            "EVSE_PUBLIC_BASE_URL": base_url,
            # The vendor-cloud simulator; the bridge's adapters default to it.
            "EVSE_SIM_PORT": str(simulator_port),
            "EVSE_SIMULATOR_URL": f"http://127.0.0.1:{simulator_port}",
            "EVSE_OCPP_PORT": str(ocpp_port),
            "EVSE_OCPP_PUBLIC_URL": ocpp_url,
            "EVSE_STREAM_REPLICAS": str(nats_nodes),
            **(extra_env or {}),
        }
        stack = Stack(nats_backend, mongo_backend, base_url, env, log_dir, ocpp_url=ocpp_url)
        env_file = data_dir / STACK_ENV_FILE
        try:
            # Where the backends are, for `evse-admin` next to a running stack.
            env_file.write_text(
                f"EVSE_NATS_URL={nats_backend.url}\nEVSE_MONGODB_URL={mongo_backend.url}\n"
            )
            subprocess.run(
                ["evse-catalogue", "seed"],
                env={**os.environ, **env, **service_env("catalogue")},
                check=True,
            )
            stack.start("vendor-simulator", ["evse-vendor-simulator"])
            stack.demo = create_demo_tenant(
                env, secret_file=data_dir / "demo-client-secret", redirect_url=f"{base_url}/docs"
            )
            own_env = {
                "onboarding": {"EVSE_JWT_PRIVATE_KEY_FILE": str(keys.private_key_file)},
                # Development: webhooks may go to http:// receivers on this machine.
                "notifier": {
                    "EVSE_WEBHOOK_ALLOW_HTTP": "true",
                    "EVSE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
                },
            }
            for service in BUS_SERVICES:
                stack.start(service, [f"evse-{service}"], own_env.get(service))
            stack.start(
                "gateway",
                ["evse-gateway"],
                {"EVSE_PORT": str(port), "EVSE_JWT_PUBLIC_KEY_FILE": str(keys.public_key_file)},
            )
            wait_until_ready(base_url)
            yield stack
        finally:
            stack.stop_all()
            env_file.unlink(missing_ok=True)
