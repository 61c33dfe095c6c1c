"""Client secrets: generated with enough entropy, stored only as salted scrypt hashes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from evse_runtime.lru import LruCache

__all__ = ["SecretChecker", "hash_secret", "new_client_id", "new_client_secret", "verify_secret"]

_N, _R, _P = 2**14, 8, 1


def new_client_id() -> str:
    return f"client_{secrets.token_urlsafe(12)}"


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Constant-time check of `secret` against a `hash_secret` result."""
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt_hex), n=_N, r=_R, p=_P)
    return hmac.compare_digest(digest.hex(), digest_hex)


class SecretChecker:
    """Checks client secrets without stalling the service or telling which client ids exist.

    scrypt runs in a thread, at most `at_once` together, so a burst of guesses queues here
    instead of blocking every other onboarding subject (review M4). An unknown client id is
    checked against a hash of a random secret: the same work and answer as a wrong secret.
    A verified secret is remembered for `remember_s` (by a digest of it and its stored hash,
    so a reset secret is never remembered), so an application asking for many user tokens
    pays for scrypt once.
    """

    _MAX_REMEMBERED = 10_000

    def __init__(
        self, *, at_once: int, remember_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._slots = asyncio.Semaphore(at_once)
        self._remember_s = remember_s
        self._clock = clock
        self._stand_in = hash_secret(secrets.token_urlsafe(32))
        self._verified: LruCache[bytes, float] = LruCache(max_size=self._MAX_REMEMBERED)

    async def check(self, secret: str, stored: str | None) -> bool:
        """Whether `secret` matches `stored` (None: the client id is unknown)."""
        key = hashlib.sha256(f"{stored}\0{secret}".encode()).digest()
        if (self._verified.get(key) or 0.0) > self._clock():
            return True
        async with self._slots:
            matches = await asyncio.to_thread(verify_secret, secret, stored or self._stand_in)
        if not matches or stored is None:
            return False
        self._verified.put(key, self._clock() + self._remember_s)
        return True
