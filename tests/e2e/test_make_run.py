"""`evse-dev run`, what `make run` starts, as a newcomer uses it: the banner's commands work
pasted into a shell, `evse-admin` finds the running stack by itself, and Ctrl-C stops every
process cleanly, services before the backends they need."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from evse_devstack.processes import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
READY = "Press Ctrl-C to stop everything."


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture(scope="module")
def running(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    data_dir = tmp_path_factory.mktemp("make-run")
    proc = subprocess.Popen(
        [
            "evse-dev",
            "run",
            "--port",
            str(free_port()),
            "--ocpp-port",
            str(free_port()),
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=data_dir,
        # As a background job of a shell without job control starts it: SIGINT ignored, which
        # Python keeps, so Ctrl-C works only because `evse-dev` asks for it (a CI run hung here).
        preexec_fn=_ignore_sigint,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.strip() == READY:
            break
    banner = "".join(lines)
    assert READY in banner, banner
    try:
        yield proc, banner, data_dir
    finally:
        if proc.poll() is None:
            proc.kill()


def pasted(banner: str) -> str:
    """The banner's first commands as a user pastes them: the `pick` helper and the token."""
    start = banner.index("  pick() {")
    end = banner.index("  # 1.")
    return banner[start:end]


def test_the_banners_token_command_sets_token_when_pasted(
    running: tuple[subprocess.Popen[str], str, Path],
) -> None:
    _, banner, _ = running
    script = pasted(banner) + '\necho "token=$TOKEN"\n'
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    token = re.search(r"^token=(\S+)$", out.stdout, re.MULTILINE)
    assert token is not None and token.group(1).count(".") == 2, out.stdout + out.stderr


def test_evse_admin_works_next_to_the_running_stack_without_settings(
    running: tuple[subprocess.Popen[str], str, Path],
) -> None:
    _, _, data_dir = running
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVSE_")}
    env["EVSE_STACK_ENV_FILE"] = str(data_dir / "stack.env")
    created = subprocess.run(
        [
            "evse-admin",
            "create-application",
            "--name",
            "Mine",
            "--redirect-url",
            "https://a.example/cb",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert json.loads(created.stdout)["client_id"]


def test_ctrl_c_stops_every_process_cleanly(
    running: tuple[subprocess.Popen[str], str, Path],
) -> None:
    proc, _, data_dir = running
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
    ).stdout.split()
    assert len(children) >= 8  # nats, mongo, simulator, five services, gateway
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate()
    assert proc.returncode == 0 and "Stopped." in rest
    for pid in children:
        assert (
            not Path(f"/proc/{pid}").exists()
            or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
        )
    logs = {log.name: log.read_text() for log in (data_dir / "logs").glob("*.log")}
    assert {name for name, text in logs.items() if "Traceback" in text} == set()
    for service in ("catalogue", "telemetry", "provider-bridge", "onboarding", "notifier"):
        assert '"event": "drained"' in logs[f"{service}.log"].splitlines()[-1], service
    assert not (data_dir / "stack.env").exists()
