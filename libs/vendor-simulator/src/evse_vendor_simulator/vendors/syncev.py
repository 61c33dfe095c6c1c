"""SyncEV partner cloud: no public API exists, so this models one on Zaptec's documented API.

Shape (assumed): `POST /oauth/token` password grant; `GET /api/v1/chargers` →
`{data: [{id, serialNumber, model, firmwareVersion, ownerEmail, online}]}`;
`GET /api/v1/chargers/{id}/status` → OCPP 1.6 `connectorStatus` (SyncEV units are OCPP 1.6J
devices), `powerW`, `sessionEnergyWh`, `meterWh`, `currentLimitA`;
`POST /api/v1/chargers/{id}/commands` `{type: RemoteStartTransaction | RemoteStopTransaction
| SetChargingProfile, limitA}` → 202 `{commandId, status: "Pending"}`;
`GET /api/v1/chargers/{id}/commands/{commandId}` → `Pending | Accepted | Rejected`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from ..fleet import SimCharger
from ..state import gate, sim_of
from .forms import bearer_grant, charger_or_404, json_of, password_granted

VENDOR = "syncev"
router = APIRouter(prefix=f"/{VENDOR}", dependencies=[Depends(gate(VENDOR))])
CONNECTOR_STATUS = {
    "available": "Available",
    "preparing": "Preparing",
    "charging": "Charging",
    "suspended_ev": "SuspendedEV",
    "suspended_evse": "SuspendedEVSE",
    "finishing": "Finishing",
    "faulted": "Faulted",
    "unavailable": "Unavailable",
    "offline": "Available",
}
COMMANDS = {
    "RemoteStartTransaction": "start_charging",
    "RemoteStopTransaction": "stop_charging",
    "SetChargingProfile": "set_current_limit",
}


@router.post("/oauth/token")
async def token(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    if not await password_granted(request, sim, VENDOR):
        raise HTTPException(401, detail="invalid_grant")
    return bearer_grant(sim, VENDOR)


@router.get("/api/v1/chargers")
async def chargers(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    sim.require_bearer(VENDOR, request)
    return {
        "data": [
            {
                "id": c.seed.device_id,
                "serialNumber": c.seed.serial_number,
                "model": c.seed.vendor_model,
                "firmwareVersion": c.seed.firmware_version,
                "ownerEmail": c.seed.owner_email,
                "online": c.online,
            }
            for c in sim.fleet.of_vendor(VENDOR)
        ],
        "page": 1,
        "pages": 1,
    }


def status_body(charger: SimCharger) -> dict[str, Any]:
    return {
        "chargerId": charger.seed.device_id,
        "online": charger.online,
        "connectorStatus": CONNECTOR_STATUS[charger.state],
        "powerW": charger.power_w,
        "sessionEnergyWh": round(charger.session_wh, 1),
        "meterWh": round(charger.lifetime_wh, 1),
        "currentLimitA": charger.current_limit_a,
    }


@router.get("/api/v1/chargers/{charger_id}/status")
async def status(request: Request, charger_id: str) -> dict[str, Any]:
    sim = sim_of(request)
    sim.require_bearer(VENDOR, request)
    return status_body(charger_or_404(sim, VENDOR, charger_id))


@router.post("/api/v1/chargers/{charger_id}/commands")
async def command(request: Request, charger_id: str) -> JSONResponse:
    sim = sim_of(request)
    sim.require_bearer(VENDOR, request)
    charger = charger_or_404(sim, VENDOR, charger_id)
    body = await json_of(request)
    name = COMMANDS.get(str(body.get("type")))
    if name is None:
        raise HTTPException(400, detail="unknown command type")
    limit = body.get("limitA")
    sent = sim.fleet.command(
        charger, name, float(limit) if isinstance(limit, int | float) else None
    )
    return JSONResponse({"commandId": sent.command_id, "status": "Pending"}, status_code=202)


@router.get("/api/v1/chargers/{charger_id}/commands/{command_id}")
async def command_status(request: Request, charger_id: str, command_id: str) -> dict[str, Any]:
    sim = sim_of(request)
    sim.require_bearer(VENDOR, request)
    if command_id not in sim.fleet.commands:
        raise HTTPException(404, detail=f"no command {command_id}")
    done = sim.fleet.command_done(command_id)
    if done is None:
        return {"commandId": command_id, "status": "Pending"}
    return {
        "commandId": command_id,
        "status": "Accepted" if done.accepted else "Rejected",
        "reason": done.detail or None,
    }
