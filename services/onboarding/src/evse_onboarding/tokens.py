"""Access tokens: EdDSA-signed JWTs the gateway verifies with the public key alone."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from evse_contracts.auth import TOKEN_AUDIENCE, Principal
from evse_contracts.onboarding import SCOPES, AccessToken

from .errors import InvalidScope

__all__ = ["TokenSigner", "granted_scopes", "load_private_key"]


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def granted_scopes(requested: str | None) -> tuple[str, ...]:
    """All scopes by default; a request may narrow them, never widen them."""
    if requested is None:
        return SCOPES
    asked = tuple(dict.fromkeys(requested.split()))
    unknown = [s for s in asked if s not in SCOPES]
    if unknown or not asked:
        raise InvalidScope(f"unknown scopes {unknown}; available: {' '.join(SCOPES)}")
    return asked


@dataclass(frozen=True)
class TokenSigner:
    key: Ed25519PrivateKey
    issuer: str
    ttl_s: int

    def issue(self, principal: Principal, *, now: datetime) -> AccessToken:
        claims = {
            "iss": self.issuer,
            "aud": TOKEN_AUDIENCE,
            "sub": principal.subject,
            "app": principal.application_uid,
            "kind": principal.kind,
            "scope": " ".join(principal.scopes),
            "iat": now,
            "exp": now + timedelta(seconds=self.ttl_s),
            "jti": secrets.token_urlsafe(12),
        }
        token = jwt.encode(claims, self.key, algorithm="EdDSA")
        return AccessToken(access_token=token, expires_in=self.ttl_s, scope=claims["scope"])
