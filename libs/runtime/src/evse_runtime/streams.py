"""The JetStream streams, declared by whichever service needs them first, identically."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from evse_contracts.evses import EVSE_EVENTS_STREAM

__all__ = ["EVSE_EVENTS", "ensure_stream"]

_DUPLICATE_WINDOW_S = 600.0

EVSE_EVENTS = StreamConfig(
    name=EVSE_EVENTS_STREAM,
    subjects=["evses.events.>"],
    storage=StorageType.FILE,
    duplicate_window=_DUPLICATE_WINDOW_S,
    discard=DiscardPolicy.OLD,
    max_age=30 * 24 * 3600.0,
)
"""EVSE lifecycle events; kept 30 days so a consumer down for a while catches up."""

_STREAM_NAME_IN_USE = 10058


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream, or bring an existing one to this configuration."""
    try:
        await js.add_stream(config)
    except BadRequestError as exc:
        if exc.err_code != _STREAM_NAME_IN_USE:
            raise
        await js.update_stream(config)
