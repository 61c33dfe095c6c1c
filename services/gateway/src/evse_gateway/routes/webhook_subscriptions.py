"""`/v2/webhooks/subscriptions`: where an application wants its EVSE events POSTed.

Declared before `POST /v2/webhooks/{provider}` (vendor pushes) so that `subscriptions` is
never taken for a provider. Application tokens only: the notifier answers a user token 403.
Managing subscriptions redirects the event feed, so it needs `evses:write`: a read-only token
may only look.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evse_contracts.auth import EVSES_READ, EVSES_WRITE
from evse_contracts.notifications import (
    SUBSCRIPTION_VALIDATION_SLUG,
    WEBHOOK_SUBSCRIPTIONS_CREATE,
    WEBHOOK_SUBSCRIPTIONS_DELETE,
    WEBHOOK_SUBSCRIPTIONS_GET,
    WEBHOOK_SUBSCRIPTIONS_LIST,
    WEBHOOK_SUBSCRIPTIONS_TEST,
    ListWebhookSubscriptions,
    NewWebhookSubscription,
    WebhookSubscription,
    WebhookSubscriptionCreated,
    WebhookSubscriptionRef,
    WebhookTestResult,
)
from evse_contracts.pagination import DEFAULT_LIMIT, ListResponse

from ..params import CursorQuery, LimitQuery, uid_path
from ..problems import VALIDATION_PROBLEM_KEY, problem_responses
from ..responses import relay, relay_page

__all__ = ["router"]

router = APIRouter(tags=["Webhook subscriptions"])
SubscriptionId = Annotated[str, uid_path("whsub", "The subscription id (`whsub…`).")]
PROBLEMS = problem_responses(
    400,
    401,
    503,
    slugs={
        403: ["insufficient-scope", "application-token-required"],
        404: ["webhook-subscription-not-found"],
    },
)

WEBHOOKS_DESCRIPTION = """
Events arrive as `POST` requests with a JSON body `{"subscription_id", "events": [...]}`:
oldest first, in order per EVSE, at most 100 per request. Answer any 2xx within 10 s to
take the batch; anything else is retried with exponential backoff and jitter for at least
24 h, after which the subscription is disabled (`status`, `disabled_reason`). Delivery is at
least once: deduplicate on each event's `id`.

Every request is signed: `X-EVSE-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
HMAC-SHA256, keyed by the subscription's secret, of `"<t>.<raw body>"`. To verify:

```python
import hashlib, hmac, time

def verify(secret: str, header: str, body: bytes, tolerance_s: int = 300) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp, signature = parts["t"], parts["v1"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    fresh = abs(time.time() - int(timestamp)) <= tolerance_s
    return fresh and hmac.compare_digest(expected.hexdigest(), signature)
```
"""


@router.post(
    "/webhooks/subscriptions",
    status_code=201,
    response_model=WebhookSubscriptionCreated,
    responses=problem_responses(
        400,
        401,
        503,
        slugs={
            403: ["insufficient-scope", "application-token-required"],
            409: ["too-many-webhook-subscriptions"],
        },
    ),
    openapi_extra={VALIDATION_PROBLEM_KEY: SUBSCRIPTION_VALIDATION_SLUG},
    description=WEBHOOKS_DESCRIPTION,
)
async def create_webhook_subscription(
    request: Request, subscription: NewWebhookSubscription
) -> Response:
    """Subscribe a URL to event types; the signing `secret` is in this response only."""
    create = subscription.to_create()
    return await relay(request, EVSES_WRITE, WEBHOOK_SUBSCRIPTIONS_CREATE, create, status_code=201)


@router.get(
    "/webhooks/subscriptions",
    response_model=ListResponse[WebhookSubscription],
    responses=PROBLEMS,
)
async def list_webhook_subscriptions(
    request: Request,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    """The application's webhook subscriptions, oldest first."""
    query = ListWebhookSubscriptions(limit=limit, cursor=cursor)
    return await relay_page(request, EVSES_READ, WEBHOOK_SUBSCRIPTIONS_LIST, query)


@router.get(
    "/webhooks/subscriptions/{subscription_id}",
    response_model=WebhookSubscription,
    responses=PROBLEMS,
)
async def get_webhook_subscription(request: Request, subscription_id: SubscriptionId) -> Response:
    """One subscription, with `disabled_reason` once persistent failure disabled it."""
    ref = WebhookSubscriptionRef(id=subscription_id)
    return await relay(request, EVSES_READ, WEBHOOK_SUBSCRIPTIONS_GET, ref)


@router.delete("/webhooks/subscriptions/{subscription_id}", status_code=204, responses=PROBLEMS)
async def delete_webhook_subscription(
    request: Request, subscription_id: SubscriptionId
) -> Response:
    """Stop deliveries and forget the subscription."""
    ref = WebhookSubscriptionRef(id=subscription_id)
    return await relay(request, EVSES_WRITE, WEBHOOK_SUBSCRIPTIONS_DELETE, ref, status_code=204)


@router.post(
    "/webhooks/subscriptions/{subscription_id}/test",
    response_model=WebhookTestResult,
    responses=PROBLEMS,
)
async def test_webhook_subscription(request: Request, subscription_id: SubscriptionId) -> Response:
    """Send a signed `webhook.ping` batch now and report how the receiver answered."""
    ref = WebhookSubscriptionRef(id=subscription_id)
    return await relay(request, EVSES_WRITE, WEBHOOK_SUBSCRIPTIONS_TEST, ref)
