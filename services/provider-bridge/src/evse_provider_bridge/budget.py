"""Per-vendor request budgets, counted as the vendors count them, and the back-off gate.

Budgets are shared by every bridge replica: a sliding window in a JetStream KV bucket
(`evse_runtime.windows.SharedPace`), so that no window of the vendor's period holds more than
its limit, keyed per vendor account (its user name) where the vendor counts
per account and per egress address where it counts per address (`BUDGET_SCOPES`; one key for
the whole deployment, which leaves the cluster through one address). Some endpoints have a limit of
their own on top (`API_BUDGETS`). When the bucket does not answer, a replica falls back to a
local token bucket at the same rate, so an outage of the KV slows nobody down more than the
vendor would.

Polls and command progress checks (background loops nobody waits on) wait for budget as long
as it takes. A call somebody waits on (a lookup for an import, sending a command) runs inside
`budget_wait_limit(s)`: when the budget stays spent longer than that, it fails with
`BudgetSpent` instead of outliving the caller's own timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

import nats.errors
import structlog
from aiolimiter import AsyncLimiter
from nats.js.kv import KeyValue

from evse_runtime.backoff import Backoff
from evse_runtime.windows import SharedPace, WindowsContended

__all__ = [
    "API_BUDGETS",
    "BUDGET_SCOPES",
    "BudgetSpent",
    "VendorBudget",
    "budget_wait_limit",
]

log = structlog.get_logger("evse.bridge.budget")
BudgetScope = Literal["account", "egress"]
BUDGET_SCOPES: dict[str, BudgetScope] = {
    # "10 requests per second per account" (docs.zaptec.com/docs/api-fair-use-policy).
    "zaptec": "account",
    # Abuse is blocked per IP for 24 h (Newan/ioBroker.easee#73); pyeasee throttles its one
    # client to 500 requests per 300 s (`easee.py:148`).
    "easee": "egress",
    # DataDome answers about 4 logins per 30 min per IP with a CAPTCHA (evcc `identity.go`);
    # no API rate is published.
    "chargepoint": "egress",
    # Not published (Home Assistant maps 429 to "too_many_requests").
    "wallbox": "egress",
}
"""What each vendor's published (or reported) limit counts: requests per account, or per
the address they come from."""
API_BUDGETS: dict[tuple[str, str], tuple[int, float]] = {
    # "/api/chargers: hard limit 150 requests per 30 minutes" (help.zaptec.com, Zaptec API
    # Usage Guidelines), per account.
    ("zaptec", "chargers.list"): (150, 1800.0),
}
"""(vendor, api) → (requests, period_s) on top of the vendor's own budget, per account."""

_DEADLINE: ContextVar[float | None] = ContextVar("budget_deadline", default=None)
"""`time.monotonic()` after which a call waiting for budget gives up; None: no limit."""


class BudgetSpent(Exception):
    """The vendor's request budget stayed spent longer than the caller may wait."""


@contextmanager
def budget_wait_limit(seconds: float) -> Iterator[None]:
    """Every vendor call in the block together waits at most `seconds` for budget."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


ALL_ACCOUNTS = ""
"""The back-off key that holds every account of a vendor."""


class VendorBudget:
    def __init__(
        self,
        *,
        provider: str,
        requests: float,
        period_s: float,
        kv: KeyValue | None = None,
        namespace: str = "default",
    ) -> None:
        self._scope = BUDGET_SCOPES.get(provider, "egress")
        self._limiter = AsyncLimiter(requests, period_s)
        self._paces: dict[str, SharedPace] = {}
        if kv is not None:
            prefix = f"{namespace}.{provider}."
            self._paces[""] = SharedPace(
                kv, limit=max(1, int(requests)), period_s=period_s, prefix=prefix
            )
            for (vendor, api), (limit, window_s) in API_BUDGETS.items():
                if vendor == provider:
                    self._paces[api] = SharedPace(
                        kv, limit=limit, period_s=window_s, prefix=f"{prefix}{api}."
                    )
        self._blocked_until: dict[str, float] = {}
        self._failures: dict[str, int] = {}

    async def acquire(self, account_key: str = "", api: str = "") -> None:
        """Wait for a request of `account_key`'s to `api`; `BudgetSpent` past the caller's
        wait limit (`budget_wait_limit`)."""
        if not self._paces:
            await self._local()
            return
        account = hashlib.sha256(account_key.encode()).hexdigest()[:24]
        key = account if self._scope == "account" else "egress"
        try:
            if api in self._paces:
                await self._shared(self._paces[api], account)
            await self._shared(self._paces[""], key)
        except (nats.errors.Error, TimeoutError, WindowsContended) as exc:
            log.warning("shared budget unavailable; counting locally", error=repr(exc))
            await self._local()

    async def _shared(self, pace: SharedPace, key: str) -> None:
        if not await pace.wait(key, deadline=_DEADLINE.get()):
            raise BudgetSpent("request budget spent for longer than the caller can wait")

    async def _local(self) -> None:
        deadline = _DEADLINE.get()
        if deadline is None:
            await self._limiter.acquire()
            return
        try:
            await asyncio.wait_for(self._limiter.acquire(), max(0.0, deadline - time.monotonic()))
        except TimeoutError as exc:
            raise BudgetSpent("request budget spent for longer than the caller can wait") from exc

    def record_failure(
        self,
        account: str,
        *,
        status: int | None,
        base_s: float,
        max_s: float,
        retry_after_s: float | None = None,
    ) -> float:
        """A 429 / 5xx / refused login: hold the account's calls (every account's, for a 429
        where the vendor counts per address); return how long. Per replica, in memory."""
        key = ALL_ACCOUNTS if status == 429 and self._scope == "egress" else account
        failures = self._failures[key] = self._failures.get(key, 0) + 1
        delay = Backoff(base_s, max_s).delay(failures, retry_after_s=retry_after_s)
        self._blocked_until[key] = max(self._blocked_until.get(key, 0.0), time.monotonic() + delay)
        return delay

    def record_success(self, account: str) -> None:
        for key in (account, ALL_ACCOUNTS):
            self._failures.pop(key, None)

    def blocked_for_s(self, account: str) -> float:
        """Seconds until the account may call this vendor again (0 when it may now)."""
        now = time.monotonic()
        for key in (account, ALL_ACCOUNTS):
            if self._blocked_until.get(key, now) <= now:
                self._blocked_until.pop(key, None)  # bounded: only accounts held back now
        held = (self._blocked_until.get(key, now) for key in (account, ALL_ACCOUNTS))
        return max(0.0, max(held) - now)
