"""Charger passwords (OCPP 1.6 security profile 1: HTTP Basic, 16 to 40 characters).

The platform generates each password (192 random bits), so a slow KDF would add nothing
against guessing while costing CPU on every (re)connection storm: a salted SHA-256 is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["hash_password", "new_password", "password_matches"]

_SCHEME = "sha256"


def new_password() -> str:
    """32 URL-safe characters: inside the 16 to 40 the specification allows."""
    return secrets.token_urlsafe(24)


def hash_password(password: str, *, salt: str | None = None) -> str:
    salt = salt if salt is not None else secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()
    return f"{_SCHEME}${salt}${digest}"


def password_matches(password: str, stored: str) -> bool:
    scheme, _, rest = stored.partition("$")
    salt, _, _ = rest.partition("$")
    if scheme != _SCHEME or not salt:
        return False
    return hmac.compare_digest(hash_password(password, salt=salt), stored)
