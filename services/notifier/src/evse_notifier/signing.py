"""Webhook signatures: HMAC-SHA256 over `"<unix seconds>.<body>"`, Stripe style.

The header is `X-EVSE-Signature: t=<unix seconds>,v1=<hex digest>`. A receiver recomputes
the digest with its secret and compares in constant time, and rejects old timestamps so a
captured delivery cannot be replayed (see `docs/notifications.md`).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign", "signature_header"]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"
