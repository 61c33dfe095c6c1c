"""The gateway's rate limits: fixed-window counts per client IP (and per user, client id or
email) in a JetStream KV bucket every gateway replica shares (`evse_runtime.windows`), so they
share one count. A busy client behind one NAT cannot starve its own requests: hits on one key
take turns within a replica. The bucket's TTL is the window, so a quiet client's key expires.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import nats.errors
from fastapi import Request
from fastapi.responses import Response
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from evse_contracts.problems import ServiceUnavailable
from evse_runtime.streams import ensure_key_value
from evse_runtime.windows import Window, WindowCounter, WindowsContended

from .client_address import caller_address, client_key
from .errors import RateLimited
from .settings import GatewaySettings

__all__ = [
    "AddressAndValueCounters",
    "FixedWindowCounter",
    "Quota",
    "count_anonymous",
    "open_counter",
    "open_session_counter",
    "open_token_failure_counters",
    "open_waitlist_counters",
    "with_quota",
]


@dataclass(frozen=True)
class Quota:
    """What is left of the caller's window, as the `RateLimit-*` headers say it."""

    limit: int
    remaining: int
    reset_s: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
        }


class FixedWindowCounter:
    """A shared `WindowCounter` answering as the API does: quotas, 429 problems, 503."""

    def __init__(
        self,
        kv: KeyValue,
        *,
        limit: int,
        window_s: int,
        who: str = "anonymous callers (authenticate for more)",
        prefix: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._windows = WindowCounter(
            kv, limit=limit, window_s=window_s, prefix=prefix, clock=clock
        )
        self._who = who
        self.limit = limit
        self.window_s = window_s

    async def hit(self, client: str) -> Quota:
        """Count one request by `client`; raise `RateLimited` once its window is used up."""
        with _store_answering():
            window = await self._windows.hit(client)
        quota = Quota(self.limit, max(0, self.limit - window.count), self._reset_s(window))
        if window.count > self.limit:
            raise RateLimited(quota, self.window_s, self._who)
        return quota

    async def refuse_if_spent(self, client: str) -> None:
        """Raise `RateLimited` if `client`'s window is used up, without counting a hit."""
        with _store_answering():
            window = await self._windows.read(client)
        if window is None or window.count < self.limit:
            return
        quota = Quota(self.limit, 0, self._reset_s(window))
        raise RateLimited(quota, self.window_s, self._who)

    def _reset_s(self, window: Window) -> int:
        """Whole seconds until `window` ends, at least 1 (as `Retry-After` says it)."""
        return max(1, math.ceil(window.start + self.window_s - self._windows.now()))


@contextmanager
def _store_answering() -> Iterator[None]:
    """The shared bucket's failures, as the 503 a client can retry."""
    try:
        yield
    except (nats.errors.Error, TimeoutError) as exc:
        raise ServiceUnavailable("the rate limit store did not answer") from exc
    except WindowsContended as exc:
        raise ServiceUnavailable("the rate limit counter is too contended; try again") from exc


async def open_counter(
    js: JetStreamContext, settings: GatewaySettings
) -> FixedWindowCounter | None:
    """The shared anonymous counter, creating its bucket if needed; None when off (0)."""
    if settings.anonymous_rate_limit == 0:
        return None
    return FixedWindowCounter(
        await _bucket(js, settings),
        limit=settings.anonymous_rate_limit,
        window_s=settings.anonymous_rate_window_s,
    )


async def open_session_counter(
    js: JetStreamContext, settings: GatewaySettings
) -> FixedWindowCounter | None:
    """Hosted onboarding sessions started per user, in the same bucket; None when off (0).

    Bursts of sessions were how links of other users were guessed (review H1); no user
    needs many live links at once.
    """
    if settings.onboarding_sessions_per_user == 0:
        return None
    return FixedWindowCounter(
        await _bucket(js, settings),
        limit=settings.onboarding_sessions_per_user,
        window_s=settings.anonymous_rate_window_s,
        who="one user",
        prefix="onb_",
    )


@dataclass(frozen=True)
class AddressAndValueCounters:
    """Two counts in the shared bucket: per client IP, and per a value the request names (a
    client id, an email), hashed since it is input."""

    per_value: FixedWindowCounter
    per_address: FixedWindowCounter

    def keys(self, request: Request, value: str) -> list[tuple[FixedWindowCounter, str]]:
        """Each counter with its key for this request."""
        hashed = hashlib.sha256(value.encode()).hexdigest()[:32]
        return [(self.per_value, hashed), (self.per_address, client_key(caller_address(request)))]

    async def count(self, request: Request, value: str) -> None:
        """Count one request; raise `RateLimited` once either window is used up."""
        for counter, key in self.keys(request, value):
            await counter.hit(key)


async def open_token_failure_counters(
    js: JetStreamContext, settings: GatewaySettings
) -> AddressAndValueCounters | None:
    """Failed token requests per client id and per IP (review M4); None when off."""
    return await _address_and_value(
        js,
        settings,
        what="failed token requests",
        value="client id",
        per_value=settings.token_failures_per_client_id,
        per_address=settings.token_failures_per_address,
        window_s=settings.token_failure_window_s,
        prefix="tok",
    )


async def open_waitlist_counters(
    js: JetStreamContext, settings: GatewaySettings
) -> AddressAndValueCounters | None:
    """Anonymous waitlist sign-ups per email and per IP (review L7); None when off."""
    return await _address_and_value(
        js,
        settings,
        what="waitlist sign-ups",
        value="email address",
        per_value=settings.waitlist_signups_per_email,
        per_address=settings.waitlist_signups_per_address,
        window_s=settings.anonymous_rate_window_s,
        prefix="wl",
    )


async def _address_and_value(
    js: JetStreamContext,
    settings: GatewaySettings,
    *,
    what: str,
    value: str,
    per_value: int,
    per_address: int,
    window_s: int,
    prefix: str,
) -> AddressAndValueCounters | None:
    """None when either limit is 0 (the settings let only one of each pair be 0)."""
    if per_value == 0 or per_address == 0:
        return None
    bucket = await _bucket(js, settings)

    def counter(limit: int, who: str, key: str) -> FixedWindowCounter:
        return FixedWindowCounter(
            bucket, limit=limit, window_s=window_s, who=f"{what} {who}", prefix=f"{prefix}{key}_"
        )

    return AddressAndValueCounters(
        counter(per_value, f"for one {value}", "v"), counter(per_address, "from one address", "a")
    )


async def _bucket(js: JetStreamContext, settings: GatewaySettings) -> KeyValue:
    # On file, replicated: the counts survive a restart and the loss of a cluster node.
    return await ensure_key_value(
        js,
        KeyValueConfig(
            bucket=settings.rate_limit_bucket,
            history=1,
            ttl=settings.anonymous_rate_window_s,
            storage=StorageType.FILE,
            replicas=settings.stream_replicas,
        ),
    )


async def count_anonymous(request: Request) -> Quota | None:
    """Count the request against its client IP if it is anonymous; None if not limited."""
    counter: FixedWindowCounter | None = request.app.state.rate_limiter
    if counter is None or getattr(request.state, "principal", None) is not None:
        return None
    return await counter.hit(client_key(caller_address(request)))


def with_quota(response: Response, quota: Quota | None) -> Response:
    if quota is not None:
        response.headers.update(quota.headers())
    return response
