"""Child processes that die with their parent: no orphaned servers after Ctrl-C or a crash."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

__all__ = ["free_port", "kill", "spawn", "stop", "stop_together", "wait_for_port"]

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask the kernel to SIGTERM this child when its parent dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def spawn(
    cmd: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    output: IO[bytes] | int | None = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own process group, tied to this process's lifetime."""
    return subprocess.Popen(
        [str(part) for part in cmd],
        env={**os.environ, **(env or {})},
        stdout=output,
        stderr=subprocess.STDOUT if output not in (None, subprocess.DEVNULL) else output,
        preexec_fn=_die_with_parent,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes], *, timeout_s: float = 15.0) -> None:
    """SIGTERM the process group, wait, then SIGKILL what is left."""
    stop_together([proc], timeout_s=timeout_s)


def stop_together(procs: Sequence[subprocess.Popen[bytes]], *, timeout_s: float = 8.0) -> None:
    """SIGTERM every process group at once, wait for all within one deadline, then SIGKILL
    what is left: stopping N services takes as long as the slowest, not their sum."""
    running = [proc for proc in procs if proc.poll() is None]
    for proc in running:
        _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for proc in running:
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group at once, as a crash would end it."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGKILL)
    proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the process group `spawn` made, or the process alone if it has none."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)


def wait_for_port(port: int, proc: subprocess.Popen[bytes], *, timeout_s: float = 30.0) -> None:
    """Block until something listens on 127.0.0.1:`port`, or fail if `proc` exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before listening")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout_s:g} s")
