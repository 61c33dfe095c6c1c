"""Revoked tokens (review L6): a reset secret, or a deleted application or user, ends the
tokens issued before it within `ttl_s`, on every gateway replica.

Tokens are verified locally by signature; whether their holder still stands is asked of
onboarding (`TOKENS_VALIDITY`) once per holder per `ttl_s` and remembered, so a busy token
costs a dict lookup. A token issued in the second of a reset survives it: JWT `iat` has
whole seconds. When onboarding does not answer, tokens are accepted on their signature
(logged): reads of the platform do not stop with onboarding.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from evse_contracts.onboarding import TOKENS_VALIDITY, TokenHolder, TokenValidity
from evse_contracts.problems import DomainError
from evse_runtime.bus_client import BusClient

from .auth import VerifiedToken

__all__ = ["Revocations"]

log = structlog.get_logger("evse.gateway")
_MAX_HOLDERS = 100_000


class Revocations:
    def __init__(
        self, bus: BusClient, *, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._bus = bus
        self._ttl_s = ttl_s
        self._clock = clock
        self._known: dict[tuple[str, str | None], tuple[TokenValidity, float]] = {}

    async def revoked(self, token: VerifiedToken) -> bool:
        validity = await self._validity(token.principal.application_uid, token.principal.user_uid)
        if validity is None:
            return False
        if validity.revoked:
            return True
        after = validity.valid_after
        return after is not None and token.issued_at < int(after.timestamp())

    async def _validity(self, application_uid: str, user_uid: str | None) -> TokenValidity | None:
        key = (application_uid, user_uid)
        known = self._known.get(key)
        if known is not None and self._clock() - known[1] < self._ttl_s:
            return known[0]
        holder = TokenHolder(application_uid=application_uid, user_uid=user_uid)
        try:
            validity = await self._bus.request(TOKENS_VALIDITY, holder, idempotent=True)
        except DomainError as exc:
            log.warning("token validity unknown", reason=str(exc), application=application_uid)
            return None if known is None else known[0]
        if len(self._known) >= _MAX_HOLDERS:
            self._known.clear()
        self._known[key] = (validity, self._clock())
        return validity
