"""The one stop-aware sleep every loop uses."""

from __future__ import annotations

import asyncio

__all__ = ["pause"]


async def pause(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds`, waking early when `stopping` is set; True if it is."""
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
