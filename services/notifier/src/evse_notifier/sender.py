"""POST one signed batch to a receiver; any 2xx is delivered, anything else a failure.

Redirects are not followed (a 3xx is a failure: the subscription names the exact URL), and
every call has a timeout, so a slow receiver holds up only its own subscription.

Each subscription's delivery posts through its own client (`own_sender`): httpcore scans
every connection of a pool on each request, so one pool shared by all subscriptions costs
time in proportion to their number on every POST. The clients share one TLS context, the
costly part of making one.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from evse_contracts.notifications import DELIVERY_HEADER, SIGNATURE_HEADER

from .public_transport import NotPublic, public_transport
from .signing import signature_header

__all__ = ["Outcome", "Sender", "batch_body", "own_sender", "sending_client", "tls_context"]

_MAX_ERROR_CHARS = 300
_ONE_RECEIVER = httpx.Limits(max_connections=2, max_keepalive_connections=2)
"""A subscription posts one batch at a time; the spare connection covers a reconnect."""


def tls_context() -> ssl.SSLContext:
    """httpx's default verification (certifi's CA bundle), made once for every client."""
    return httpx.create_ssl_context()


@asynccontextmanager
async def own_sender(
    tls: ssl.SSLContext, *, allow_private_addresses: bool
) -> AsyncIterator[Sender]:
    """A sender with its own keep-alive connection pool, for one subscription."""
    async with sending_client(tls, _ONE_RECEIVER, allow_private_addresses) as client:
        yield Sender(client)


def sending_client(
    tls: ssl.SSLContext, limits: httpx.Limits, allow_private_addresses: bool
) -> httpx.AsyncClient:
    """A client for receivers: outside development it connects only to public addresses,
    checked as it connects; it never follows a redirect."""
    transport = None if allow_private_addresses else public_transport(tls, limits)
    return httpx.AsyncClient(verify=tls, limits=limits, follow_redirects=False, transport=transport)


def batch_body(subscription_id: str, events: Sequence[bytes]) -> bytes:
    """A `WebhookBatch` body from events as published (already contract JSON), unparsed."""
    head = b'{"subscription_id":' + json.dumps(subscription_id).encode() + b',"events":['
    return head + b",".join(events) + b"]}"


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None
    error: str | None


class Sender:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(
        self, *, url: str, secret: str, body: bytes, delivery_id: str, timeout_s: float
    ) -> Outcome:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(secret, int(time.time()), body),
            DELIVERY_HEADER: delivery_id,
        }
        try:
            response = await self._client.post(
                url, content=body, headers=headers, timeout=timeout_s, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            return Outcome(delivered=False, status_code=None, error=_reason(exc))
        if 200 <= response.status_code < 300:
            return Outcome(delivered=True, status_code=response.status_code, error=None)
        return Outcome(
            delivered=False,
            status_code=response.status_code,
            error=f"the receiver answered HTTP {response.status_code}",
        )


def _reason(error: httpx.HTTPError) -> str:
    """What a subscription's owner is told: never how a connection failed (refused, reset,
    timed out, TLS), which would map hosts and ports the platform can reach (review L1)."""
    if isinstance(error, httpx.ConnectError) and isinstance(error.__cause__, NotPublic):
        return "the receiver's address is not a public address"
    if isinstance(error, httpx.TimeoutException | httpx.NetworkError | httpx.ProtocolError):
        return "the receiver could not be reached"
    return f"{type(error).__name__}"[:_MAX_ERROR_CHARS]
