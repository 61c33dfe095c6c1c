"""`POST /v2/webhooks/{provider}`: verified vendor pushes, relayed raw to the `WEBHOOKS` stream."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import NoStreamResponseError

from evse_contracts.bridge import (
    PROVIDERS,
    WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_TIMESTAMP_HEADER,
    webhook_subject,
)
from evse_contracts.problems import ServiceUnavailable
from evse_runtime.streams import WEBHOOKS, ensure_stream

from ..deps import settings_of
from ..errors import UnknownWebhookProvider
from ..problems import problem_responses
from ..webhook_signature import verify

__all__ = ["router"]

router = APIRouter(tags=["Vendor webhooks"])


@router.post(
    "/webhooks/{provider}",
    status_code=202,
    responses=problem_responses(
        413,
        503,
        slugs={
            401: ["invalid-webhook-signature"],
            404: ["webhook-provider-not-found"],
        },
    ),
)
async def receive_webhook(request: Request, provider: str) -> Response:
    """Accept a signed vendor push (`x-webhook-signature`, `x-webhook-timestamp`)."""
    settings = settings_of(request)
    secret = settings.webhook_secrets.get(provider) if provider in PROVIDERS else None
    if secret is None:
        raise UnknownWebhookProvider(provider)
    body = await request.body()  # at most `webhook_max_body_bytes` (the body limit)
    signature = verify(
        secret=secret.get_secret_value(),
        timestamp=request.headers.get(WEBHOOK_TIMESTAMP_HEADER),
        signature=request.headers.get(WEBHOOK_SIGNATURE_HEADER),
        body=body,
        now=time.time(),
        tolerance_s=settings.webhook_tolerance_s,
        future_s=settings.webhook_future_skew_s,
    )
    await _publish(
        request.app.state.js,
        webhook_subject(provider),
        body,
        signature,  # not the unsigned delivery header: a replay with a new one is still a duplicate
        replicas=settings.stream_replicas,
    )
    return Response(status_code=202)


async def _publish(
    js: JetStreamContext, subject: str, body: bytes, message_id: str, *, replicas: int
) -> None:
    headers = {"Nats-Msg-Id": f"{subject}:{message_id}"}
    try:
        try:
            await js.publish(subject, body, headers=headers)
        except NoStreamResponseError:
            await ensure_stream(js, WEBHOOKS, replicas=replicas)
            await js.publish(subject, body, headers=headers)
    except (NatsError, TimeoutError) as exc:
        raise ServiceUnavailable("the webhook could not be queued; retry later") from exc
