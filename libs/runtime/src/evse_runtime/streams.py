"""The JetStream streams: one definition each, declared by whichever service needs it first.

Every service that publishes to or consumes a stream declares it at start with the same
configuration, so start order does not matter and a stream never drifts between services.
The replica count is the deployment's (`stream_replicas`): 1 on one server, 3 on a cluster.
Consumers inherit their stream's replicas, so they move with it.
"""

from __future__ import annotations

from dataclasses import replace

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, KeyValueConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError, BucketNotFoundError
from nats.js.kv import KeyValue

from evse_contracts.bridge import WEBHOOKS_STREAM
from evse_contracts.evses import EVSE_EVENTS_STREAM, EVSE_EVENTS_SUBJECTS
from evse_contracts.notifications import NOTIFICATIONS_STREAM, NOTIFICATIONS_SUBJECTS
from evse_contracts.telemetry import TELEMETRY_STREAM

__all__ = [
    "DEADLETTER",
    "DUPLICATE_WINDOW_S",
    "EVSE_EVENTS",
    "NOTIFICATIONS",
    "TELEMETRY",
    "WEBHOOKS",
    "ensure_key_value",
    "ensure_stream",
]

DUPLICATE_WINDOW_S = 600.0
"""Publishers' `Nats-Msg-Id`s are remembered this long: a retry inside it is dropped."""
_DAY_S = 24 * 3600.0


def _stream(name: str, subjects: list[str], max_age_s: float) -> StreamConfig:
    return StreamConfig(
        name=name,
        subjects=subjects,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_S,
        discard=DiscardPolicy.OLD,
        max_age=max_age_s,
    )


TELEMETRY = replace(
    _stream(TELEMETRY_STREAM, ["telemetry.events.>"], 7 * _DAY_S), allow_batched=True
)
"""Status, command, error and OCPP log events; a week lets telemetry catch up after an outage.
`allow_batched`: the bridge publishes OCPP logs in fast-ingest batches (nats-server 2.14+)."""
EVSE_EVENTS = _stream(EVSE_EVENTS_STREAM, [EVSE_EVENTS_SUBJECTS], 30 * _DAY_S)
"""EVSE lifecycle events; kept 30 days so a consumer down for a while catches up."""
WEBHOOKS = _stream(WEBHOOKS_STREAM, ["webhooks.>"], 7 * _DAY_S)
"""Raw vendor webhook deliveries, verified by the gateway, normalised by the bridge."""
NOTIFICATIONS = _stream(NOTIFICATIONS_STREAM, [NOTIFICATIONS_SUBJECTS], 7 * _DAY_S)
"""Events for client applications (webhooks, `GET /v2/events`); a week of replay for
`Last-Event-ID` and for webhook retries, which last at least 24 h."""
DEADLETTER = _stream("DEADLETTER", ["deadletter.>"], 30 * _DAY_S)
"""Messages a consumer could never process, with the reason in `x-deadletter-reason`."""

_STREAM_NAME_IN_USE = 10058


async def ensure_stream(js: JetStreamContext, config: StreamConfig, *, replicas: int) -> None:
    """Create the stream with `replicas` copies, or bring an existing one to this
    configuration (the server scales an existing stream's replicas up or down in place)."""
    config = replace(config, num_replicas=replicas)
    try:
        info = await js.add_stream(config)
    except BadRequestError as exc:
        if exc.err_code != _STREAM_NAME_IN_USE:
            raise
        info = await js.update_stream(config)
    if config.allow_batched and not info.config.allow_batched:  # a server that ignores it
        raise RuntimeError(f"stream {config.name} needs nats-server 2.14+ (fast-ingest batches)")


async def ensure_key_value(js: JetStreamContext, config: KeyValueConfig) -> KeyValue:
    """Bind the bucket, creating it as `config` says, or scaling an existing one's stream to
    `config.replicas` (its other settings are kept: storage cannot change in place)."""
    try:
        kv = await js.key_value(config.bucket)
    except BucketNotFoundError:
        return await js.create_key_value(config)
    stream = (await js.stream_info(f"KV_{config.bucket}")).config
    if stream.num_replicas != config.replicas:
        await js.update_stream(replace(stream, num_replicas=config.replicas))
    return kv
