"""Open the central system inside the bridge's setup: listener, log queue, bus subjects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evse_runtime.service import Runtime

from ..settings import BridgeSettings
from ..telemetry_publisher import TelemetryPublisher
from .desk import OcppDesk
from .event_queue import EventQueue
from .server import TAKEOVER_SUBJECTS, OcppServer
from .session import SessionSettings
from .store import MongoOcppStore

__all__ = ["central_system"]


@asynccontextmanager
async def central_system(
    runtime: Runtime, settings: BridgeSettings, publisher: TelemetryPublisher
) -> AsyncIterator[OcppDesk]:
    """Serve OCPP chargers (unless `ocpp_port` is None) for the block; yield the desk.

    The listener closes (1001 to every charger) as soon as the runtime starts stopping, so
    chargers reconnect to another replica while this one drains; queued logs are published
    before the block ends.
    """
    store = MongoOcppStore(runtime.db)
    await store.ensure_indexes()
    events = EventQueue(
        publisher,
        size=settings.ocpp_log_queue,
        wait_s=settings.ocpp_log_wait_s,
        linger_s=settings.ocpp_log_linger_s,
    )
    server = OcppServer(
        nc=runtime.nc,
        store=store,
        events=events,
        settings=SessionSettings(
            heartbeat_interval_s=settings.ocpp_heartbeat_interval_s,
            response_timeout_s=settings.ocpp_response_timeout_s,
            id_tag=settings.ocpp_id_tag,
            frames_per_minute=settings.ocpp_frames_per_minute,
        ),
        max_frame_bytes=settings.ocpp_max_frame_bytes,
    )
    events.start()
    public_url = settings.ocpp_public_url
    if settings.ocpp_port is not None:
        await server.start(settings.ocpp_host, settings.ocpp_port)
        public_url = public_url or f"ws://127.0.0.1:{server.port}/ocpp"
    runtime.listen(TAKEOVER_SUBJECTS, server.on_takeover)

    async def close_on_stop() -> None:
        await runtime.stopping.wait()
        await server.close(settings.graceful_timeout_s)

    runtime.loop(close_on_stop)
    try:
        yield OcppDesk(
            nc=runtime.nc,
            store=store,
            public_url=public_url or "ws://127.0.0.1/ocpp",
            timeout_s=settings.ocpp_response_timeout_s,
        )
    finally:
        await server.close(settings.graceful_timeout_s)
        await events.close(settings.graceful_timeout_s)
