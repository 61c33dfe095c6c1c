"""The client event stream behind `GET /v2/events`: an ordered JetStream consumer per client.

Transport only: the notifier derives and publishes the events; here a client's scope
becomes a subject filter on `NOTIFICATIONS`, and each message an SSE event whose `id` is
its stream sequence, so `Last-Event-ID` resumes exactly after the last event received.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sse_starlette import ServerSentEvent

from evse_contracts.auth import Principal
from evse_contracts.notifications import NOTIFICATIONS_STREAM, application_filter, user_filter
from evse_runtime.streams import NOTIFICATIONS, ensure_stream

from .auth import VerifiedToken
from .revocation import Revocations

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
    js: JetStreamContext,
    token: VerifiedToken,
    after: int | None,
    *,
    replicas: int,
    revocations: Revocations,
    recheck_s: float,
) -> AsyncIterator[ServerSentEvent]:
    """Events for the token's holder after stream sequence `after` (or from now), until the
    client leaves or the token ends: at its expiry, or within `recheck_s` of its revocation
    (review L6). Then a last `token_expired` event tells the client to reconnect with a
    fresh token."""
    subject = subject_filter(token.principal)
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
    messages = sub.messages
    next_check = time.monotonic() + recheck_s
    try:
        while (left := token.expires_at - time.time()) > 0:
            try:
                msg = await asyncio.wait_for(anext(messages), min(left, recheck_s))
            except TimeoutError:
                msg = None
            if time.monotonic() >= next_check:
                if await revocations.revoked(token):
                    break
                next_check = time.monotonic() + recheck_s
            if msg is not None:
                yield ServerSentEvent(data=msg.data.decode(), id=str(msg.metadata.sequence.stream))
    finally:
        await sub.unsubscribe()
    yield ServerSentEvent(event="token_expired", data='{"reconnect": "with a fresh token"}')
