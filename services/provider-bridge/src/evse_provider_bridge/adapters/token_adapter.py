"""The part every token-authorised vendor adapter shares: one token source, one authorised call.

Tokens are per user account: stored under `<provider>:<account key>` (the link id).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from ..settings import VendorSettings
from .base import VendorAccount
from .http import VendorClient
from .payloads import body_of, expires_in
from .tokens import Token, TokenSource, TokenVault

__all__ = ["TokenAdapter", "bearer_headers", "token_key"]


def token_key(provider: str, account_key: str) -> str:
    return f"{provider}:{account_key}"


def bearer_headers(token: Token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.access}"}


class TokenAdapter(ABC):
    """Holds one user account's token at the vendor and sends calls authorised with it."""

    provider: str
    _refresh: Callable[[Token], Awaitable[Token]] | None = None

    def __init__(
        self,
        client: VendorClient,
        settings: VendorSettings,
        vault: TokenVault,
        account: VendorAccount,
    ) -> None:
        self._client = client
        self._settings = settings
        self._account = account
        self._tokens = TokenSource(
            key=token_key(self.provider, account.key),
            vault=vault,
            login=self._login,
            refresh=self._refresh,
        )

    @property
    def _auth_base_url(self) -> str:
        """Where the vendor signs accounts in, when that is not its API's base URL."""
        return (self._settings.auth_base_url or self._settings.base_url).rstrip("/")

    @abstractmethod
    async def _login(self) -> Token: ...

    def _headers(self, token: Token) -> Mapping[str, str]:
        return bearer_headers(token)

    async def _send(self, method: str, path: str, api: str, **kwargs: Any) -> httpx.Response:
        return await self._client.call(
            method, path, api=api, auth=self._tokens, auth_headers=self._headers, **kwargs
        )

    async def _call(self, method: str, path: str, api: str, **kwargs: Any) -> Any:
        """`_send`, and the response body as JSON."""
        return body_of(await self._send(method, path, api, **kwargs), self.provider, api)

    async def _password_grant(self, url: str, api: str, **extra: str) -> Token:
        """OAuth2 password grant with the account's credentials (form-encoded)."""
        response = await self._client.call(
            "POST",
            url,
            api=api,
            data={
                "grant_type": "password",
                "username": self._account.credential("username"),
                "password": self._account.credential("password"),
                **extra,
            },
        )
        body = body_of(response, self.provider, api)
        return Token(access=body["access_token"], expires_at=expires_in(body.get("expires_in")))
