"""`evse-dev run`: the whole platform on this machine, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from .stack import start_stack

__all__ = ["main"]


def _banner(base_url: str, nats_kind: str, mongo_kind: str, log_dir: Path) -> str:
    return f"""
EVSE platform is running.

  API        {base_url}/v2
  API docs   {base_url}/docs
  Readiness  {base_url}/readyz

  NATS       {nats_kind}
  MongoDB    {mongo_kind}
  Logs       {log_dir}/<service>.log

Try:  curl {base_url}/v2/evse_makes
Press Ctrl-C to stop everything.
"""


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(prog="evse-dev")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", type=Path, default=Path(".data"))
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    log_dir = args.data_dir / "logs"
    try:
        with start_stack(args.data_dir, port=args.port, log_dir=log_dir) as stack:
            sys.stdout.write(_banner(stack.base_url, stack.nats.kind, stack.mongodb.kind, log_dir))
            sys.stdout.flush()
            signal.pause()
    except KeyboardInterrupt:
        sys.stdout.write("\nStopped.\n")
