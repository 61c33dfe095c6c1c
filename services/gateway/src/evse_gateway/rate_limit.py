"""The gateway's rate limits: fixed-window counts per client IP (and per user, client id or
email) in a JetStream KV bucket every gateway replica shares (`evse_runtime.windows`), so they
share one count. A busy client behind one NAT cannot starve its own requests: hits on one key
take turns within a replica. The bucket's TTL is the window, so a quiet client's key expires.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import nats.errors
import nats.js.errors
from fastapi import Request
from fastapi.responses import Response
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from evse_contracts.problems import ServiceUnavailable
from evse_runtime.streams import ensure_key_value
from evse_runtime.windows import WindowCounter, WindowsContended

from .errors import RateLimited
from .settings import GatewaySettings

__all__ = [
    "FixedWindowCounter",
    "Quota",
    "AddressAndValueCounters",
    "caller_address",
    "client_address",
    "client_key",
    "count_anonymous",
    "open_counter",
    "open_token_failure_counters",
    "open_waitlist_counters",
    "open_session_counter",
    "with_quota",
]

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
_MAX_ATTEMPTS = 100
_MAX_REMEMBERED = 100_000


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
        try:
            window = await self._windows.hit(client)
        except (nats.errors.Error, TimeoutError) as exc:
            raise ServiceUnavailable("the rate limit store did not answer") from exc
        except WindowsContended as exc:
            raise ServiceUnavailable("the rate limit counter is too contended; try again") from exc
        reset_s = max(1, math.ceil(window.start + self.window_s - self._windows.now()))
        quota = Quota(self.limit, max(0, self.limit - window.count), reset_s)
        if window.count > self.limit:
            raise RateLimited(quota, self.window_s, self._who)
        return quota

    async def refuse_if_spent(self, client: str) -> None:
        """Raise `RateLimited` if `client`'s window is used up, without counting a hit."""
        try:
            window = await self._windows.read(client)
        except (nats.errors.Error, TimeoutError) as exc:
            raise ServiceUnavailable("the rate limit store did not answer") from exc
        if window is None or window.count < self.limit:
            return
        reset_s = max(1, math.ceil(window.start + self.window_s - self._windows.now()))
        raise RateLimited(Quota(self.limit, 0, reset_s), self.window_s, self._who)


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
    if settings.token_failures_per_client_id == 0:
        return None
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
    if settings.waitlist_signups_per_address == 0:
        return None
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
) -> AddressAndValueCounters:
    bucket = await _bucket(js, settings)
    return AddressAndValueCounters(
        FixedWindowCounter(
            bucket,
            limit=per_value,
            window_s=window_s,
            who=f"{what} for one {value}",
            prefix=f"{prefix}v_",
        ),  # fmt: skip
        FixedWindowCounter(
            bucket,
            limit=per_address,
            window_s=window_s,
            who=f"{what} from one address",
            prefix=f"{prefix}a_",
        ),  # fmt: skip
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


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]
) -> IPAddress | None:
    """The caller's IP: the peer, or behind trusted proxies the right-most untrusted hop.

    `X-Forwarded-For` is read only when the peer is a trusted proxy; it is walked from the
    right (the hop our own proxy appended) past trusted addresses. An unparsable hop ends
    the walk at the last address a trusted proxy vouched for.
    """
    address = _parse(peer)
    if address is None or not _is_trusted(address, trusted):
        return address
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        candidate = _parse(hop)
        if candidate is None:
            break
        address = candidate
        if not _is_trusted(candidate, trusted):
            break
    return address


def client_key(address: IPAddress | None) -> str:
    """A KV-safe key token for the client: IPv4 whole, IPv6 by /48 (the block one site gets;
    by /64 a subscriber holding a /48 would have 65,536 fresh quotas)."""
    if address is None:
        return "unknown"
    if isinstance(address, IPv4Address):
        return f"v4_{address.packed.hex()}"
    return f"v6_{address.packed[:6].hex()}"


async def count_anonymous(request: Request) -> Quota | None:
    """Count the request against its client IP if it is anonymous; None if not limited."""
    counter: FixedWindowCounter | None = request.app.state.rate_limiter
    if counter is None or getattr(request.state, "principal", None) is not None:
        return None
    return await counter.hit(client_key(caller_address(request)))


def caller_address(request: Request) -> IPAddress | None:
    """The request's client IP, through the trusted proxies (see `client_address`)."""
    settings: GatewaySettings = request.app.state.settings
    peer = request.client.host if request.client else None
    return client_address(
        peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxies
    )


def with_quota(response: Response, quota: Quota | None) -> Response:
    if quota is not None:
        response.headers.update(quota.headers())
    return response


def _parse(value: str | None) -> IPAddress | None:
    """An address as a peer or an `X-Forwarded-For` hop gives it, `:port` (some load
    balancers add one, `[v6]:port` too) set aside."""
    if not value:
        return None
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ip_address(value)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in trusted)
