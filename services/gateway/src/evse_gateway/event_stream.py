"""The client event stream behind `GET /v2/events`: an ordered JetStream consumer per client.

Transport only: the notifier derives and publishes the events; here a client's scope
becomes a subject filter on `NOTIFICATIONS`, and each message an SSE event whose `id` is
its stream sequence, so `Last-Event-ID` resumes exactly after the last event received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sse_starlette import ServerSentEvent

from evse_contracts.auth import Principal
from evse_contracts.notifications import NOTIFICATIONS_STREAM, application_filter, user_filter
from evse_runtime.streams import NOTIFICATIONS, ensure_stream

__all__ = ["client_events", "subject_filter"]


def subject_filter(principal: Principal) -> str:
    """What the token may see: its application's events, or its user's only."""
    if principal.kind == "user" and principal.user_uid is not None:
        return user_filter(principal.application_uid, principal.user_uid)
    return application_filter(principal.application_uid)


def _start(after: int | None) -> ConsumerConfig:
    if after is None:
        return ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    return ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after + 1)


async def client_events(
    js: JetStreamContext, principal: Principal, after: int | None, *, replicas: int
) -> AsyncIterator[ServerSentEvent]:
    """Events for `principal` after stream sequence `after` (or from now), until cancelled."""
    subject = subject_filter(principal)
    try:
        sub = await js.subscribe(
            subject, stream=NOTIFICATIONS_STREAM, ordered_consumer=True, config=_start(after)
        )
    except NotFoundError:
        # The notifier has not started yet.
        await ensure_stream(js, NOTIFICATIONS, replicas=replicas)
        sub = await js.subscribe(
            subject, stream=NOTIFICATIONS_STREAM, ordered_consumer=True, config=_start(after)
        )
    try:
        async for msg in sub.messages:
            yield ServerSentEvent(data=msg.data.decode(), id=str(msg.metadata.sequence.stream))
    finally:
        await sub.unsubscribe()
