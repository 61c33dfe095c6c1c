"""Every vendor HTTP call: through the shared `httpx.AsyncClient`, within the vendor's budget.

`VendorClient.call` spends a token of the vendor's request budget, sends, retries once after
re-authenticating on 401, and turns any failure (transport error, non-2xx) into a
`VendorError` carrying what an error log needs: method, URL path, status, vendor error code,
whether retrying later may help, and the vendor's `Retry-After`.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from ..budget import BudgetSpent, VendorBudget
from ..clock import utc_now
from ..metrics import VENDOR_CALL_SECONDS, VENDOR_CALLS
from .errors import VendorBudgetSpent, VendorError
from .tokens import Token, TokenSource

__all__ = ["VendorClient", "VendorError", "retry_after_seconds", "shared_http_client"]

DO_NOT_RETRY = frozenset({528})
"""5xx answers that are a verdict, not an outage: Zaptec's 528 is a rejected command
(docs.zaptec.com "Charger command validation update")."""

HeaderBuilder = Callable[[Token], Mapping[str, str]]


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or utc_now())).total_seconds())


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if isinstance(body, dict):
        for key in ("error_code", "errorCode", "error", "code", "title"):
            value = body.get(key)
            if isinstance(value, str | int):
                return str(value)
            if isinstance(value, dict) and isinstance(value.get("code"), str | int):
                return str(value["code"])
    return None


def shared_http_client(*, timeout: httpx.Timeout) -> httpx.AsyncClient:
    """The one client every account's vendor calls share. It keeps no cookies: ChargePoint sets
    the account's `coulomb_sess` on every answer (python-chargepoint `client.py:128-131`), and a
    shared jar would send one account's session with another's calls; adapters send their
    account's cookies themselves."""
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(timeout=timeout, cookies=no_cookies)


class VendorClient:
    """One vendor's calls over the shared client."""

    def __init__(
        self, *, provider: str, http: httpx.AsyncClient, base_url: str, budget: VendorBudget
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._http = http
        self._budget = budget
        self._account_key = ""

    def for_account(self, account_key: str) -> VendorClient:
        """This client, its calls counted against `account_key`'s budget."""
        bound = copy.copy(self)
        bound._account_key = account_key
        return bound

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"

    async def call(
        self,
        method: str,
        path: str,
        *,
        api: str,
        auth: TokenSource | None = None,
        auth_headers: HeaderBuilder | None = None,
        headers: Mapping[str, str] | None = None,
        readable: Collection[int] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """Send, signing in again once on a 401; `readable`: error statuses whose body the
        caller reads itself instead of raising (ChargePoint's 422 start with an `ackId`)."""
        url = self.url(path)
        for attempt in (1, 2):
            sent_headers = dict(headers or {})
            token = None
            if auth is not None and auth_headers is not None:
                token = await auth.get()
                sent_headers.update(auth_headers(token))
            response = await self._send(method, url, api=api, headers=sent_headers, **kwargs)
            if (
                response.status_code == 401
                and auth is not None
                and token is not None
                and attempt == 1
            ):
                await auth.invalidate(token)
                continue
            if response.is_success or response.status_code in readable:
                return response
            raise self._failure(method, url, api, response)
        raise AssertionError("unreachable")

    async def _send(self, method: str, url: str, *, api: str, **kwargs: Any) -> httpx.Response:
        try:
            await self._budget.acquire(self._account_key, api)
        except BudgetSpent as exc:
            VENDOR_CALLS.labels(self.provider, api, "budget_spent").inc()
            raise VendorBudgetSpent(
                self.provider, api, method, httpx.URL(url).path, str(exc), retryable=True
            ) from exc
        started = time.perf_counter()
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            VENDOR_CALLS.labels(self.provider, api, type(exc).__name__).inc()
            raise VendorError(
                self.provider,
                api,
                method,
                httpx.URL(url).path,
                f"{type(exc).__name__}: {exc}".strip(": "),
                retryable=True,
            ) from exc
        finally:
            VENDOR_CALL_SECONDS.labels(self.provider).observe(time.perf_counter() - started)
        outcome = "ok" if response.is_success else str(response.status_code)
        VENDOR_CALLS.labels(self.provider, api, outcome).inc()
        return response

    def _failure(self, method: str, url: str, api: str, response: httpx.Response) -> VendorError:
        status = response.status_code
        return VendorError(
            self.provider,
            api,
            method,
            httpx.URL(url).path,
            response.text[:200] or response.reason_phrase,
            retryable=status == 429 or (status >= 500 and status not in DO_NOT_RETRY),
            http_status=status,
            error_code=_error_code(response),
            retry_after_s=retry_after_seconds(response.headers.get("retry-after")),
        )
