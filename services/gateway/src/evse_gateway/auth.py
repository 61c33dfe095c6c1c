"""Bearer tokens: verified locally with the public key, cached until they expire.

`AuthMiddleware` sets `request.state.principal` (a `Principal`, or None when no token was
sent) and `request.state.token` (the `VerifiedToken`). A token that is present but invalid — forged,
expired, `alg=none`, wrong audience, revoked (`revocation.py`) — is answered 401 at once, on
every route: bad credentials are never downgraded to anonymous.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Request
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from evse_contracts.auth import TOKEN_AUDIENCE, Principal
from evse_contracts.problems import Unauthorized
from evse_runtime.lru import LruCache

from .errors import InsufficientScope
from .problems import problem_response

if TYPE_CHECKING:
    from .revocation import Revocations

__all__ = ["AuthMiddleware", "TokenVerifier", "VerifiedToken", "require_principal"]

_AUTHORIZATION = b"authorization"
_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class VerifiedToken:
    principal: Principal
    issued_at: float
    expires_at: float

    @cached_property
    def principal_json(self) -> str:
        """The principal as bus requests carry it: serialised once per token, not per request."""
        return self.principal.model_dump_json()


class TokenVerifier:
    """Verify EdDSA JWTs; remember verified ones so a hot token costs a dict lookup."""

    def __init__(self, public_key: Ed25519PublicKey | None, issuer: str) -> None:
        self._key = public_key
        self._issuer = issuer
        self._verified: LruCache[str, VerifiedToken] = LruCache(max_size=_CACHE_SIZE)

    @classmethod
    def from_file(cls, path: Path | None, issuer: str) -> TokenVerifier:
        if path is None:
            return cls(None, issuer)
        key = load_pem_public_key(path.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path} is not an Ed25519 public key")
        return cls(key, issuer)

    def verify(self, token: str) -> VerifiedToken:
        cached = self._verified.get(token)
        if cached is not None and cached.expires_at > time.time():
            return cached
        verified = self._decode(token)
        self._verified.put(token, verified)
        return verified

    def _decode(self, token: str) -> VerifiedToken:
        if self._key is None:
            raise Unauthorized("this gateway is not configured to accept tokens")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["EdDSA"],
                audience=TOKEN_AUDIENCE,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the access token is invalid: {exc}") from exc
        kind = claims.get("kind")
        try:
            principal = Principal(
                kind=kind,
                application_uid=claims.get("app"),
                user_uid=claims["sub"] if kind == "user" else None,
                scopes=tuple(str(claims.get("scope", "")).split()),
            )
        except ValidationError as exc:
            raise Unauthorized("the access token's claims are not ours") from exc
        return VerifiedToken(principal, float(claims["iat"]), float(claims["exp"]))


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _AUTHORIZATION:
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                bearer: str = token.strip()
                return bearer
    return None


class AuthMiddleware:
    def __init__(self, app: ASGIApp, verifier: TokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            token = _bearer_token(scope)
            verified = None
            if token is not None:
                try:
                    verified = self.verifier.verify(token)
                    revocations: Revocations | None = scope["app"].state.revocations
                    if revocations is not None and await revocations.revoked(verified):
                        raise Unauthorized("the access token has been revoked")
                except Unauthorized as exc:
                    response = problem_response(
                        Request(scope),
                        exc.to_problem(),
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                    )
                    await response(scope, receive, send)
                    return
            state = scope.setdefault("state", {})
            state["principal"] = None if verified is None else verified.principal
            state["token"] = verified
        await self.app(scope, receive, send)


def require_principal(request: Request, scope: str) -> Principal:
    """The caller, who must have sent a valid token carrying `scope`."""
    principal: Principal | None = request.state.principal
    if principal is None:
        raise Unauthorized("this endpoint needs a bearer access token")
    if scope not in principal.scopes:
        raise InsufficientScope(f"the access token lacks the {scope!r} scope")
    return principal
