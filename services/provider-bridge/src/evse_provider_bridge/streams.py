"""Declare the JetStream streams the bridge publishes to or consumes, idempotently."""

from __future__ import annotations

import structlog
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

from evse_contracts.bridge import WEBHOOKS_STREAM
from evse_contracts.evses import EVSE_EVENTS_STREAM
from evse_contracts.telemetry import TELEMETRY_STREAM

__all__ = ["ensure_bridge_streams", "ensure_stream"]

log = structlog.get_logger("evse.bridge")
DUPLICATE_WINDOW_S = 600.0
_STREAM_NAME_IN_USE = 10058


async def ensure_stream(js: JetStreamContext, name: str, subjects: list[str]) -> None:
    """Create the stream; if it exists (even with another owner's settings), leave it."""
    config = StreamConfig(
        name=name,
        subjects=subjects,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_S,
    )
    try:
        await js.add_stream(config)
    except BadRequestError as exc:
        if exc.err_code != _STREAM_NAME_IN_USE:
            raise
        log.info("stream exists with other settings", stream=name)


async def ensure_bridge_streams(js: JetStreamContext) -> None:
    await ensure_stream(js, TELEMETRY_STREAM, ["telemetry.events.>"])
    await ensure_stream(js, EVSE_EVENTS_STREAM, ["evses.events.>"])
    await ensure_stream(js, WEBHOOKS_STREAM, ["webhooks.>"])
