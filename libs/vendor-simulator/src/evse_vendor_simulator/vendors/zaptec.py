"""Zaptec cloud API (official: api.zaptec.com/help, docs.zaptec.com).

OAuth2 password grant found through OIDC discovery; `GET /api/chargers?PageIndex&PageSize`
(50 default, 100 max) `{Pages, Data}` with `SerialNo`; `GET /api/chargers/{id}/state`
observations (StateId 710 operation mode, 5 + 718 FinalStopActive=1 meaning paused, -2 online,
513 power W, 553 session kWh, 510 configured max current, 708 current allocated now, 911
firmware) as evcc `charger/zaptec/const.go` lists them; `POST /api/chargers/{id}/sendCommand/
{506 stop/pause|507 resume|10001 deauthorize}`, a refused command answering HTTP 528;
`POST /api/chargers/{id}/update` `{maxChargeCurrent}`. Every call is scoped to the signed-in
user's account (the chargers of installations the user may access).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request

from ..fleet import SimCharger
from ..state import gate, sim_of
from .forms import bearer_grant, json_of, password_grant_owner

VENDOR = "zaptec"
router = APIRouter(prefix=f"/{VENDOR}", dependencies=[Depends(gate(VENDOR))])
OPERATION_MODE = {
    "available": 1,
    "preparing": 2,
    "suspended_ev": 2,
    "suspended_evse": 5,
    "charging": 3,
    "finishing": 5,
    "faulted": 0,
    "unavailable": 0,
    "offline": 1,
}
STOP_PAUSE, RESUME, DEAUTHORIZE_STOP = 506, 507, 10001
"""The supported charging commands (docs.zaptec.com/reference/charger_sendcommand_post)."""
COMMAND_REJECTED = 528
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 100
"""`/api/chargers` pages since 2025-03-01 (docs.zaptec.com api-changes-what-you-need-to-know)."""


@router.get("/.well-known/openid-configuration")
async def discovery(request: Request) -> dict[str, str]:
    return {"token_endpoint": f"{str(request.base_url).rstrip('/')}/{VENDOR}/oauth/token"}


@router.post("/oauth/token")
async def token(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    username = await password_grant_owner(request, sim, VENDOR)
    if username is None:
        raise HTTPException(400, detail="invalid_grant")
    return bearer_grant(sim, VENDOR, username)


@router.get("/api/chargers")
async def chargers(
    request: Request,
    PageIndex: int = 0,  # noqa: N803 (Zaptec's query names)
    PageSize: int = DEFAULT_PAGE_SIZE,  # noqa: N803
) -> dict[str, Any]:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    if PageIndex < 0 or not 1 <= PageSize <= MAX_PAGE_SIZE:
        raise HTTPException(400, detail=f"PageSize must be 1-{MAX_PAGE_SIZE}, PageIndex >= 0")
    owned = sim.fleet.of_account(VENDOR, username)
    page = owned[PageIndex * PageSize : (PageIndex + 1) * PageSize]
    data = [
        {
            "Id": c.seed.device_id,
            "SerialNo": c.seed.serial_number,
            "DeviceId": c.seed.serial_number,
            "Name": f"Zaptec {c.seed.serial_number}",
            "DeviceType": int(c.seed.vendor_model),
            "IsOnline": c.online,
            "OperatingMode": OPERATION_MODE[c.state],
            "InstallationId": "inst-" + c.seed.device_id[-6:],
        }
        for c in page
    ]
    return {"Pages": max(1, -(-len(owned) // PageSize)), "Data": data}


def observations(charger: SimCharger) -> list[dict[str, Any]]:
    """The charger's state as Zaptec observations (also the Service Bus message shape)."""
    stamp = datetime.now(UTC).isoformat()
    values: dict[int, str] = {
        -2: "1" if charger.online else "0",
        710: str(OPERATION_MODE[charger.state]),
        513: f"{charger.power_w:.1f}",
        553: f"{charger.session_wh / 1000:.3f}",
        510: f"{charger.current_limit_a:.0f}",
        708: f"{charger.current_limit_a if charger.state == 'charging' else 0:.0f}",
        718: "1" if charger.state == "suspended_evse" else "0",
        911: charger.seed.firmware_version,
    }
    return [
        {
            "ChargerId": charger.seed.device_id,
            "StateId": key,
            "Timestamp": stamp,
            "ValueAsString": value,
        }
        for key, value in values.items()
    ]


@router.get("/api/chargers/{charger_id}/state")
async def state(request: Request, charger_id: str) -> list[dict[str, Any]]:
    sim = sim_of(request)
    return observations(sim.bearer_charger(VENDOR, request, charger_id))


def _rejected(detail: str) -> HTTPException:
    return HTTPException(COMMAND_REJECTED, detail=detail)


@router.post("/api/chargers/{charger_id}/sendCommand/{command_id}")
async def send_command(request: Request, charger_id: str, command_id: int) -> dict[str, Any]:
    """506 pauses a charging session, 507 resumes a paused one; anything else answers 528."""
    sim = sim_of(request)
    charger = sim.bearer_charger(VENDOR, request, charger_id)
    if command_id not in {STOP_PAUSE, RESUME, DEAUTHORIZE_STOP}:
        raise HTTPException(400, detail=f"command {command_id} is not supported")
    if command_id == RESUME and charger.state != "suspended_evse":
        raise _rejected("ResumeCharging: charging is not paused")
    if command_id == STOP_PAUSE and charger.state == "suspended_evse":
        raise _rejected("StopChargingFinal: charging is already paused")
    name = "start_charging" if command_id == RESUME else "stop_charging"
    command = sim.fleet.command(charger, name)
    if not command.accepted:
        raise _rejected(command.detail)
    return {}


@router.post("/api/chargers/{charger_id}/update")
async def update(request: Request, charger_id: str) -> dict[str, Any]:
    sim = sim_of(request)
    charger = sim.bearer_charger(VENDOR, request, charger_id)
    body = await json_of(request)
    current = body.get("maxChargeCurrent")
    if not isinstance(current, int | float):
        raise HTTPException(400, detail="maxChargeCurrent is required")
    command = sim.fleet.command(charger, "set_current_limit", float(current))
    if not command.accepted:
        raise _rejected(command.detail)
    return {}
