"""What the benchmarks share: quiet service processes, a process's CPU time, a stall watch,
where a result is kept."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
QUIET = {"EVSE_LOG_LEVEL": "WARNING"}
"""Environment that keeps a service process's logs to warnings and worse."""


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_result(name: str, text: str) -> None:
    """Print `text` and keep it as the latest result, `bench/results/<name>.txt`."""
    text = text.rstrip("\n") + "\n"
    sys.stdout.write(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.txt").write_text(text)


class StallWatch:
    """Fails a wait whose count stops moving for `limit_s`, so a benchmark fails, not hangs."""

    def __init__(self, what: str, limit_s: float) -> None:
        self.what, self.limit_s = what, limit_s
        self._progress, self._since = -1, time.monotonic()

    def check(self, progress: int) -> None:
        """Note `progress`; raise if it has not changed for `limit_s`."""
        now = time.monotonic()
        if progress != self._progress:
            self._progress, self._since = progress, now
        elif now - self._since > self.limit_s:
            raise RuntimeError(f"{self.what} made no progress for {self.limit_s:g} s at {progress}")
