"""What the simulator holds: the fleet, the users' vendor accounts, per-vendor fault switches,
issued tokens (each for one account), a call log."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from fastapi import HTTPException, Request

from .fleet import Fleet, SimCharger
from .seed import SEED_ACCOUNTS
from .settings import SimulatorSettings

__all__ = [
    "VENDORS",
    "Call",
    "FaultMode",
    "SimState",
    "VendorFaults",
    "gate",
    "seed_accounts",
    "sim_of",
]

VENDORS = ("chargepoint", "easee", "wallbox", "zaptec")
FaultMode = Literal["ok", "slow", "error", "rate_limit", "reject_credentials", "removed"]


@dataclass
class VendorFaults:
    mode: FaultMode = "ok"
    delay_s: float = 0.0
    status: int = 503
    retry_after_s: int | None = None
    path_contains: str | None = None


@dataclass(frozen=True)
class Call:
    vendor: str
    method: str
    path: str
    at: float


def seed_accounts() -> dict[str, dict[str, str]]:
    """Each vendor's accounts: username → password."""
    accounts: dict[str, dict[str, str]] = {vendor: {} for vendor in VENDORS}
    for account in SEED_ACCOUNTS:
        accounts[account.vendor][account.username] = account.password
    return accounts


@dataclass
class SimState:
    settings: SimulatorSettings
    fleet: Fleet
    faults: dict[str, VendorFaults] = field(
        default_factory=lambda: {vendor: VendorFaults() for vendor in VENDORS}
    )
    calls: list[Call] = field(default_factory=list)
    accounts: dict[str, dict[str, str]] = field(default_factory=seed_accounts)
    tokens: dict[str, dict[str, tuple[float, str]]] = field(
        default_factory=lambda: {vendor: {} for vendor in VENDORS}
    )
    """Per vendor: token → (expiry, the account's username)."""
    stream_connections: dict[str, str] = field(default_factory=dict)
    """Easee hub connection id (from negotiate) → the account's username."""

    def signed_in(self, vendor: str, username: object, password: object) -> bool:
        """Whether `username`/`password` is an account at `vendor` (and credentials are on)."""
        return (
            not self.credentials_rejected(vendor)
            and isinstance(username, str)
            and self.accounts[vendor].get(username) == password
        )

    def issue_token(self, vendor: str, username: str, prefix: str = "tok") -> str:
        token = f"{prefix}-{vendor}-{secrets.token_urlsafe(12)}"
        self.tokens[vendor][token] = (time.monotonic() + self.settings.token_ttl_s, username)
        return token

    def token_owner(self, vendor: str, token: str) -> str | None:
        """The account a live token was issued to, or None."""
        if self.credentials_rejected(vendor):
            return None
        expiry, username = self.tokens[vendor].get(token, (0.0, ""))
        return username if expiry > time.monotonic() else None

    def require_bearer(self, vendor: str, request: Request) -> str:
        """The account of the request's live bearer token; 401 without one."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        owner = self.token_owner(vendor, token) if scheme.lower() == "bearer" else None
        if owner is None:
            raise HTTPException(401, detail="invalid or expired token")
        return owner

    def bearer_charger(self, vendor: str, request: Request, device_id: str) -> SimCharger:
        """The charger `device_id` of the request's bearer account (401, 404 or 403 otherwise)."""
        return self.owned_charger(vendor, self.require_bearer(vendor, request), device_id)

    def change_password(self, vendor: str, username: str, password: str) -> None:
        """What a user does in the vendor's app: every token of the account stops working."""
        self.accounts[vendor][username] = password
        self.tokens[vendor] = {
            token: issued for token, issued in self.tokens[vendor].items() if issued[1] != username
        }

    def owned_charger(self, vendor: str, username: str, device_id: str) -> SimCharger:
        """The account's charger: 404 if none has the id, 403 if another account owns it."""
        charger = self.fleet.find(vendor, device_id)
        if charger is None:
            raise HTTPException(404, detail=f"no charger {device_id}")
        if charger.seed.owner != username:
            raise HTTPException(403, detail="not allowed to access this charger")
        return charger

    def credentials_rejected(self, vendor: str) -> bool:
        return self.faults[vendor].mode == "reject_credentials"


def sim_of(request: Request) -> SimState:
    sim: SimState = request.app.state.sim
    return sim


def gate(vendor: str) -> Callable[[Request], Awaitable[None]]:
    """Router dependency: log the call, then apply the vendor's fault switch."""

    async def check(request: Request) -> None:
        sim = sim_of(request)
        sim.calls.append(Call(vendor, request.method, request.url.path, time.monotonic()))
        faults = sim.faults[vendor]
        if faults.delay_s:
            await asyncio.sleep(faults.delay_s)
        if faults.mode == "error":
            raise HTTPException(faults.status, detail="simulated vendor failure")
        if faults.mode == "removed" and (faults.path_contains or "") in request.url.path:
            # As a vendor answers a route it retired (Easee's `/state` since 2026-09-01).
            raise HTTPException(404, detail="Not Found")
        if faults.mode == "rate_limit":
            headers = (
                {} if faults.retry_after_s is None else {"Retry-After": str(faults.retry_after_s)}
            )
            raise HTTPException(429, detail="too many requests", headers=headers)

    return check
