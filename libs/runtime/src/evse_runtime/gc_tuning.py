"""Garbage-collector settings for long-running request handlers."""

from __future__ import annotations

import gc

__all__ = ["freeze_startup_objects"]


def freeze_startup_objects() -> None:
    """Move everything allocated at start-up out of the collector's sight, and collect less often.

    Start-up leaves hundreds of thousands of long-lived objects (modules, models, schemas);
    without this every gen-2 pass walks them all, which shows up as tail latency.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
