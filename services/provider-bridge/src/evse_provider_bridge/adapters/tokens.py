"""Vendor access tokens: cached in memory, persisted encrypted, refreshed before expiry.

Persisting matters: ChargePoint answers repeated logins with a CAPTCHA and Easee blocks
abusive clients for a day, so every replica reuses the stored token instead of logging in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ..clock import utc_now
from .errors import REFUSED_STATUSES, SignInRefused, VendorError

__all__ = ["MemoryVault", "Token", "TokenSource", "TokenVault"]


@dataclass(frozen=True)
class Token:
    access: str
    expires_at: datetime
    refresh: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def fresh(self, *, skew: timedelta) -> bool:
        return utc_now() + skew < self.expires_at


class TokenVault(Protocol):
    async def load_token(self, key: str) -> Token | None: ...
    async def save_token(self, key: str, token: Token) -> None: ...
    async def forget_token(self, key: str) -> None: ...


class MemoryVault:
    """Tokens in memory: for adapters used outside the service (tests, benchmarks)."""

    def __init__(self) -> None:
        self.tokens: dict[str, Token] = {}

    async def load_token(self, key: str) -> Token | None:
        return self.tokens.get(key)

    async def save_token(self, key: str, token: Token) -> None:
        self.tokens[key] = token

    async def forget_token(self, key: str) -> None:
        self.tokens.pop(key, None)


class TokenSource:
    """One vendor account's token: memory, then vault, then refresh, then a fresh login."""

    def __init__(
        self,
        *,
        key: str,
        vault: TokenVault,
        login: Callable[[], Awaitable[Token]],
        refresh: Callable[[Token], Awaitable[Token]] | None = None,
        skew_s: float = 60.0,
    ) -> None:
        self._key = key
        self._vault = vault
        self._login = login
        self._refresh = refresh
        self._skew = timedelta(seconds=skew_s)
        self._token: Token | None = None
        self._loaded = False
        self._lock = asyncio.Lock()

    async def get(self) -> Token:
        async with self._lock:
            if self._token is None and not self._loaded:
                self._token = await self._vault.load_token(self._key)
                self._loaded = True
            if self._token is not None and self._token.fresh(skew=self._skew):
                return self._token
            self._token = await self._renew(self._token)
            await self._vault.save_token(self._key, self._token)
            return self._token

    async def invalidate(self, token: Token) -> None:
        """The vendor refused `token`: forget it so the next call logs in again."""
        async with self._lock:
            if self._token == token:
                self._token = None
                await self._vault.forget_token(self._key)

    async def _renew(self, stale: Token | None) -> Token:
        if stale is not None and stale.refresh and self._refresh is not None:
            try:
                return await self._refresh(stale)
            except VendorError:
                pass
        try:
            return await self._login()
        except SignInRefused:
            raise
        except VendorError as exc:
            if exc.http_status in REFUSED_STATUSES:
                raise SignInRefused.from_error(exc) from exc
            raise
