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

from .destinations import why_not_public
from .signing import signature_header

__all__ = ["Outcome", "Sender", "batch_body", "own_sender", "tls_context"]

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
    async with httpx.AsyncClient(
        verify=tls, limits=_ONE_RECEIVER, follow_redirects=False
    ) as client:
        yield Sender(client, allow_private_addresses=allow_private_addresses)


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
    def __init__(self, client: httpx.AsyncClient, *, allow_private_addresses: bool) -> None:
        self._client = client
        self._allow_private = allow_private_addresses

    async def send(
        self, *, url: str, secret: str, body: bytes, delivery_id: str, timeout_s: float
    ) -> Outcome:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(secret, int(time.time()), body),
            DELIVERY_HEADER: delivery_id,
        }
        if (refused := await self._refused_destination(url)) is not None:
            return Outcome(delivered=False, status_code=None, error=refused)
        try:
            response = await self._client.post(
                url, content=body, headers=headers, timeout=timeout_s, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_CHARS]
            return Outcome(delivered=False, status_code=None, error=reason)
        if 200 <= response.status_code < 300:
            return Outcome(delivered=True, status_code=response.status_code, error=None)
        return Outcome(
            delivered=False,
            status_code=response.status_code,
            error=f"the receiver answered HTTP {response.status_code}",
        )

    async def _refused_destination(self, url: str) -> str | None:
        """Why not to call `url` now (it resolves to a non-public address), or None."""
        if self._allow_private:
            return None
        return await why_not_public(httpx.URL(url).host)
