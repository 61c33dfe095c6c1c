"""One small function per notifier subject: who is asking, then the subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime

from ulid import ULID

from evse_contracts.bus import Empty
from evse_contracts.notifications import (
    WEBHOOK_SUBSCRIPTIONS_CREATE,
    WEBHOOK_SUBSCRIPTIONS_DELETE,
    WEBHOOK_SUBSCRIPTIONS_GET,
    WEBHOOK_SUBSCRIPTIONS_LIST,
    WEBHOOK_SUBSCRIPTIONS_TEST,
    CreateWebhookSubscription,
    ListWebhookSubscriptions,
    WebhookBatch,
    WebhookPing,
    WebhookSubscription,
    WebhookSubscriptionCreated,
    WebhookSubscriptionRef,
    WebhookTestResult,
)
from evse_contracts.pagination import Page, decode_cursor, encode_cursor
from evse_runtime.principals import caller
from evse_runtime.responders import RequestContext
from evse_runtime.service import Runtime

from .delivery import DeliveryPolicy, declare_application_consumer, stream_last_seq
from .errors import TooManyWebhookSubscriptions, WebhookSubscriptionNotFound
from .sender import Sender
from .settings import NotifierSettings
from .store import NotifierStore
from .subscriptions import (
    Subscription,
    created_view,
    ensure_public_destination,
    new_subscription,
    owning_application,
    public_view,
)

__all__ = ["register_handlers"]

_CURSOR_KEYS = frozenset({"after"})


async def _owned(store: NotifierStore, application_uid: str, subscription_id: str) -> Subscription:
    subscription = await store.subscription(subscription_id)
    if subscription is None or subscription.application_uid != application_uid:
        raise WebhookSubscriptionNotFound(subscription_id)
    return subscription


def register_handlers(
    runtime: Runtime,
    *,
    store: NotifierStore,
    sender: Sender,
    policy: DeliveryPolicy,
    settings: NotifierSettings,
) -> None:
    async def create(
        request: CreateWebhookSubscription, ctx: RequestContext
    ) -> WebhookSubscriptionCreated:
        application_uid = owning_application(caller(ctx))
        if await store.count_subscriptions(application_uid) >= settings.webhook_max_per_application:
            raise TooManyWebhookSubscriptions(settings.webhook_max_per_application)
        if not settings.webhook_allow_private_addresses:
            await ensure_public_destination(request.url.host or "")
        # The application's consumer first, then the position: the events after it are
        # delivered even before a replica takes the subscription up.
        await declare_application_consumer(runtime.js, application_uid, policy)
        subscription = new_subscription(
            request,
            application_uid=application_uid,
            allow_http=settings.webhook_allow_http,
            now=datetime.now(UTC),
            stream_last_seq=await stream_last_seq(runtime.js),
        )
        await store.insert_subscription(subscription)
        return created_view(subscription)

    async def list_subscriptions(
        request: ListWebhookSubscriptions, ctx: RequestContext
    ) -> Page[WebhookSubscription]:
        application_uid = owning_application(caller(ctx))
        after = None
        if request.cursor is not None:
            after = decode_cursor(request.cursor, keys=_CURSOR_KEYS)["after"]
        found = await store.subscriptions(application_uid, after, request.limit + 1)
        page = found[: request.limit]
        next_cursor = encode_cursor({"after": page[-1].id}) if len(found) > len(page) else None
        return Page[WebhookSubscription](
            results=tuple(public_view(s) for s in page), next_cursor=next_cursor
        )

    async def get(request: WebhookSubscriptionRef, ctx: RequestContext) -> WebhookSubscription:
        application_uid = owning_application(caller(ctx))
        return public_view(await _owned(store, application_uid, request.id))

    async def delete(request: WebhookSubscriptionRef, ctx: RequestContext) -> Empty:
        application_uid = owning_application(caller(ctx))
        if not await store.delete_subscription(application_uid, request.id):
            raise WebhookSubscriptionNotFound(request.id)
        return Empty()

    async def test(request: WebhookSubscriptionRef, ctx: RequestContext) -> WebhookTestResult:
        application_uid = owning_application(caller(ctx))
        subscription = await _owned(store, application_uid, request.id)
        ping = WebhookPing(
            id=str(ULID()),
            occurred_at=datetime.now(UTC),
            application_uid=application_uid,
        )
        outcome = await sender.send(
            url=subscription.url,
            secret=subscription.secret,
            body=WebhookBatch(subscription_id=subscription.id, events=(ping,))
            .model_dump_json()
            .encode(),
            delivery_id=ping.id,
            timeout_s=settings.webhook_ping_timeout_s,
        )
        return WebhookTestResult(
            delivered=outcome.delivered, status_code=outcome.status_code, error=outcome.error
        )

    runtime.respond(WEBHOOK_SUBSCRIPTIONS_CREATE, create)
    runtime.respond(WEBHOOK_SUBSCRIPTIONS_LIST, list_subscriptions)
    runtime.respond(WEBHOOK_SUBSCRIPTIONS_GET, get)
    runtime.respond(WEBHOOK_SUBSCRIPTIONS_DELETE, delete)
    runtime.respond(WEBHOOK_SUBSCRIPTIONS_TEST, test)
