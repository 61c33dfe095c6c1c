"""Notifier domain errors; each becomes a problem with a stable slug."""

from __future__ import annotations

from evse_contracts.auth import ApplicationTokenRequired
from evse_contracts.notifications import SUBSCRIPTION_VALIDATION_SLUG
from evse_contracts.problems import DomainError, FieldError, NotFound, ValidationFailed

__all__ = [
    "ApplicationTokenRequired",
    "InvalidWebhookUrl",
    "TooManyWebhookSubscriptions",
    "WebhookSubscriptionNotFound",
]


class WebhookSubscriptionNotFound(NotFound):
    """Unknown, or another application's: one answer, so nothing leaks."""

    slug = "webhook-subscription-not-found"
    title = "Webhook subscription not found"

    def __init__(self, subscription_id: str) -> None:
        super().__init__(f"no webhook subscription {subscription_id!r} is visible to the caller")


class InvalidWebhookUrl(ValidationFailed):
    slug = SUBSCRIPTION_VALIDATION_SLUG
    title = "Invalid webhook subscription"

    def __init__(self, reason: str) -> None:
        super().__init__(f"body.url: {reason}", errors=(FieldError(loc="body.url", msg=reason),))


class TooManyWebhookSubscriptions(DomainError):
    slug = "too-many-webhook-subscriptions"
    status = 409
    title = "Too many webhook subscriptions"

    def __init__(self, limit: int) -> None:
        super().__init__(f"an application has at most {limit} webhook subscriptions")
