"""Reading vendor JSON safely: a malformed vendor body becomes a `VendorError`, not a crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from ..clock import utc_now
from .base import DeviceStatus
from .errors import VendorError

__all__ = [
    "SHAPE_ERRORS",
    "as_float",
    "body_of",
    "expires_in",
    "keyed_statuses",
    "unparsable",
    "webhook_items",
]

EXCERPT_CHARS = 200
SHAPE_ERRORS = (AttributeError, KeyError, TypeError, ValueError)
"""What reading a vendor body of an unexpected shape raises: a missing key, a string where a
number belongs, a null or a list where an object belongs (`.get` on it: AttributeError)."""


def body_of(response: httpx.Response, provider: str, api: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise VendorError(
            provider,
            api,
            response.request.method,
            response.request.url.path,
            "response is not JSON",
            retryable=True,
            http_status=response.status_code,
        ) from exc


def unparsable(provider: str, api: str, body: Any) -> VendorError:
    """A JSON answer we cannot read: logged with a bounded excerpt, polled again later."""
    excerpt = json.dumps(body, default=str)[:EXCERPT_CHARS]
    return VendorError(
        provider, api, "GET", api, f"unreadable answer: {excerpt}", retryable=True, http_status=200
    )


def as_float(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def expires_in(seconds: Any) -> datetime:
    return utc_now() + timedelta(seconds=as_float(seconds) or 300.0)


def webhook_items(payload: bytes) -> list[dict[str, Any]]:
    """A push body as a list of JSON objects (a single object counts as a list of one)."""
    data = json.loads(payload)
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise ValueError("webhook payload must be a JSON object or a list of objects")
    return items


def keyed_statuses(
    payload: bytes, id_key: str, body_key: str, parse: Callable[[Any], DeviceStatus]
) -> list[tuple[str, DeviceStatus]]:
    """Relayed pushes shaped `{id_key: <vendor device id>, body_key: <status body>}`."""
    return [(str(item[id_key]), parse(item[body_key])) for item in webhook_items(payload)]
