"""Declare JetStream streams idempotently (file storage, 10-minute duplicate window)."""

from __future__ import annotations

import structlog
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

__all__ = ["DUPLICATE_WINDOW_S", "ensure_stream"]

log = structlog.get_logger("evse.streams")
DUPLICATE_WINDOW_S = 600.0
_STREAM_NAME_IN_USE = 10058


async def ensure_stream(js: JetStreamContext, name: str, subjects: list[str]) -> None:
    """Create the stream; if it already exists (even with other settings), leave it be."""
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
