"""A draining service ends its background loops before it closes its NATS connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from structlog.testing import capture_logs

from evse_runtime.service import Runtime, Service, running
from evse_runtime.settings import ServiceSettings
from tests.utils.services import bus_user


async def test_a_loop_busy_past_the_graceful_timeout_is_cancelled_and_every_end_collected(
    nats_url: str, mongodb_url: str, database_name: str
) -> None:
    """A loop stuck in a fetch would otherwise fail later on the closed connection, its error
    retrieved by no one (whose report, on CPython 3.11.7, could end a pytest session)."""
    ended: list[str] = []

    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        async def busy() -> None:  # never looks at `stopping`, like a fetch in flight
            try:
                await asyncio.Event().wait()
            finally:
                ended.append("busy")

        async def failing() -> None:
            await runtime.stopping.wait()
            raise RuntimeError("fails on its way out")

        runtime.loop(busy)
        runtime.loop(failing)
        yield

    settings = ServiceSettings(
        nats_url=nats_url,
        mongodb_url=mongodb_url,
        database=database_name,
        graceful_timeout_s=0.2,
        **bus_user("catalogue"),
    )
    with capture_logs() as logs:
        async with running(Service("catalogue", "catalogue.health", settings, setup)):
            pass
    assert ended == ["busy"]
    [drained] = [entry for entry in logs if entry["event"] == "drained"]
    assert drained["loops_cut"] == 1
    [failed] = [entry for entry in logs if entry["event"] == "loop failed"]
    assert isinstance(failed["exc_info"], RuntimeError)
