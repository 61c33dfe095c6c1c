"""What the benchmarks share: quiet service processes, and where a result is kept."""

from __future__ import annotations

import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
QUIET = {"EVSE_LOG_LEVEL": "WARNING"}
"""Environment that keeps a service process's logs to warnings and worse."""


def write_result(name: str, text: str) -> None:
    """Print `text` and keep it as the latest result, `bench/results/<name>.txt`."""
    text = text.rstrip("\n") + "\n"
    sys.stdout.write(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.txt").write_text(text)
