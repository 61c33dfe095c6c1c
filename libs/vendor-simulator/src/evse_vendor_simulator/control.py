"""`/_sim`: switches for tests and demos (faults per vendor, pinned charger states, account
passwords, call log)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from .fleet import STATES, StateName
from .state import VENDORS, FaultMode, VendorFaults, seed_accounts, sim_of

__all__ = ["router"]

router = APIRouter(prefix="/_sim", tags=["simulator control"])


class FaultSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: FaultMode = "ok"
    delay_s: float = Field(0.0, ge=0, description="Added to every call (mode `slow` or any).")
    status: int = Field(503, ge=500, le=599, description="Returned in mode `error`.")
    retry_after_s: int | None = Field(None, ge=0, description="Sent with 429 in `rate_limit`.")
    path_contains: str | None = Field(
        None,
        max_length=200,
        description="In mode `removed`: the calls whose path contains it answer 404, as a "
        "vendor answers a route it retired (every call when unset).",
    )


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=200)


class PinState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: StateName | None = Field(description="Hold this state; null resumes the cycle.")


def _vendor(vendor: str) -> str:
    if vendor not in VENDORS:
        raise HTTPException(404, detail=f"unknown vendor {vendor}")
    return vendor


@router.put("/vendors/{vendor}/faults")
async def set_faults(request: Request, vendor: str, switch: FaultSwitch) -> dict[str, Any]:
    """Make a vendor slow, fail with 5xx, answer 429, reject credentials (revokes tokens), or
    retire routes (404)."""
    sim = sim_of(request)
    sim.faults[_vendor(vendor)] = VendorFaults(**switch.model_dump())
    if switch.mode == "reject_credentials":
        sim.tokens[vendor].clear()
    return switch.model_dump()


@router.put("/vendors/{vendor}/accounts/{username}/password")
async def change_password(
    request: Request, vendor: str, username: str, body: NewPassword
) -> dict[str, Any]:
    """The user changes their password at the vendor: the account's tokens stop working."""
    sim = sim_of(request)
    if username not in sim.accounts[_vendor(vendor)]:
        raise HTTPException(404, detail=f"no {vendor} account {username}")
    sim.change_password(vendor, username, body.password)
    return {"vendor": vendor, "username": username}


@router.get("/accounts")
async def accounts(request: Request) -> list[dict[str, Any]]:
    """Every vendor account with its password and its chargers' serials (demo logins)."""
    sim = sim_of(request)
    return [
        {
            "vendor": vendor,
            "username": username,
            "password": password,
            "serial_numbers": [
                c.seed.serial_number for c in sim.fleet.of_account(vendor, username)
            ],
        }
        for vendor in VENDORS
        for username, password in sim.accounts[vendor].items()
    ]


@router.put("/chargers/{serial_number}/state")
async def pin_state(request: Request, serial_number: str, body: PinState) -> dict[str, Any]:
    sim = sim_of(request)
    if serial_number not in sim.fleet.chargers:
        raise HTTPException(404, detail=f"no charger {serial_number}")
    charger = sim.fleet.pin(serial_number, body.state)
    return {"serial_number": serial_number, "state": charger.state}


@router.get("/chargers")
async def chargers(request: Request) -> list[dict[str, Any]]:
    sim = sim_of(request)
    return [
        {
            "vendor": c.seed.vendor,
            "serial_number": c.seed.serial_number,
            "device_id": c.seed.device_id,
            "owner": c.seed.owner,
            "state": c.state,
            "current_limit_a": c.current_limit_a,
        }
        for vendor in VENDORS
        for c in sim.fleet.of_vendor(vendor)
    ]


@router.get("/calls")
async def calls(request: Request, vendor: str | None = None) -> list[dict[str, Any]]:
    """Every vendor call received, oldest first (method, path, monotonic seconds)."""
    return [
        {"vendor": c.vendor, "method": c.method, "path": c.path, "at": c.at}
        for c in sim_of(request).calls
        if vendor is None or c.vendor == vendor
    ]


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    """Seed fleet and accounts, no faults, no tokens, empty call log."""
    sim = sim_of(request)
    sim.fleet.reset()
    sim.calls.clear()
    sim.accounts = seed_accounts()
    for vendor in VENDORS:
        sim.faults[vendor] = VendorFaults()
        sim.tokens[vendor].clear()
    return {"states": list(STATES)}
