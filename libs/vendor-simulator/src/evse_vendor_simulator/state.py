"""What the simulator holds: the fleet, per-vendor fault switches, issued tokens, a call log."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from fastapi import HTTPException, Request

from .fleet import Fleet
from .settings import SimulatorSettings

__all__ = ["VENDORS", "Call", "FaultMode", "SimState", "VendorFaults", "gate", "sim_of"]

VENDORS = ("chargepoint", "eo", "syncev", "enelx", "easee", "wallbox", "zaptec")
FaultMode = Literal["ok", "slow", "error", "rate_limit", "reject_credentials"]


@dataclass
class VendorFaults:
    mode: FaultMode = "ok"
    delay_s: float = 0.0
    status: int = 503
    retry_after_s: int | None = None


@dataclass(frozen=True)
class Call:
    vendor: str
    method: str
    path: str
    at: float


@dataclass
class SimState:
    settings: SimulatorSettings
    fleet: Fleet
    faults: dict[str, VendorFaults] = field(
        default_factory=lambda: {vendor: VendorFaults() for vendor in VENDORS}
    )
    calls: list[Call] = field(default_factory=list)
    tokens: dict[str, dict[str, float]] = field(
        default_factory=lambda: {vendor: {} for vendor in VENDORS}
    )

    def issue_token(self, vendor: str, prefix: str = "tok") -> str:
        token = f"{prefix}-{vendor}-{secrets.token_urlsafe(12)}"
        self.tokens[vendor][token] = time.monotonic() + self.settings.token_ttl_s
        return token

    def token_valid(self, vendor: str, token: str) -> bool:
        if self.faults[vendor].mode == "reject_credentials":
            return False
        return self.tokens[vendor].get(token, 0.0) > time.monotonic()

    def require_bearer(self, vendor: str, request: Request) -> None:
        """401 unless the request carries a live token this vendor issued."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.token_valid(vendor, token):
            raise HTTPException(401, detail="invalid or expired token")

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
        if faults.mode == "rate_limit":
            headers = (
                {} if faults.retry_after_s is None else {"Retry-After": str(faults.retry_after_s)}
            )
            raise HTTPException(429, detail="too many requests", headers=headers)

    return check
