"""The simulator every community-client contract test talks to: fixed states, instant commands."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.utils.bridge import Simulator, simulator


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulator(evolve=False, command_delay_s=0.0) as controls:
        yield controls
