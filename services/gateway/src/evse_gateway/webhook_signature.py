"""Verify a vendor webhook delivery: HMAC-SHA256 over `<timestamp>.<raw body>`, fresh timestamp.

Headers (`evse_contracts.bridge`): `x-webhook-timestamp` (Unix seconds),
`x-webhook-signature` (hex digest, optionally prefixed `sha256=`), `x-webhook-delivery`
(unique id, optional). A delivery older or newer than the tolerance is refused, so a captured
request cannot be replayed later; one replayed inside the window is dropped by JetStream's
duplicate detection on the delivery id (or the signature when there is no id).
"""

from __future__ import annotations

import hashlib
import hmac

from .errors import InvalidWebhookSignature

__all__ = ["sign", "verify"]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The hex signature a sender puts in `x-webhook-signature`."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    *,
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    tolerance_s: float,
    future_s: float,
) -> str:
    """Return the verified signature (hex), or raise `InvalidWebhookSignature`.

    A timestamp may be `tolerance_s` old and `future_s` ahead (clock skew): together less than
    the stream's duplicate window, so a replay of a captured delivery is always dropped as a
    duplicate of its signature (review L2).
    """
    if not timestamp or not signature:
        raise InvalidWebhookSignature("the signature or timestamp header is missing")
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise InvalidWebhookSignature("the timestamp header is not Unix seconds") from exc
    if now - sent_at > tolerance_s or sent_at - now > future_s:
        raise InvalidWebhookSignature(
            f"the timestamp is more than {tolerance_s:g} s before or {future_s:g} s after "
            "the server's clock"
        )
    given = signature.removeprefix("sha256=").strip().lower()
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(given, expected):
        raise InvalidWebhookSignature("the signature does not match the body")
    return expected
