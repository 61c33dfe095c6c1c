"""The simulator app: every vendor under its own path prefix, plus `/_sim` controls.

Base URLs: `http://<host>:<port>/<vendor>` for chargepoint, easee, wallbox and zaptec (EO,
Enel X and SyncEV have no usable cloud API: their chargers speak OCPP to the bridge).
Wallbox's `user-api` host, ChargePoint's discovery host and Easee's SignalR host
(`/easee/hubs/chargers`) share the prefix.
"""

from __future__ import annotations

from fastapi import FastAPI

from . import control
from .fleet import Fleet
from .settings import SimulatorSettings
from .state import SimState
from .vendors import chargepoint, chargepoint_auth, easee, easee_stream, wallbox, zaptec

__all__ = ["create_app"]


def create_app(settings: SimulatorSettings) -> FastAPI:
    app = FastAPI(title="EVSE vendor-cloud simulator", version="1.0.0")
    fleet = Fleet(
        evolve=settings.evolve,
        cycle_scale=settings.cycle_scale,
        command_delay_s=settings.command_delay_s,
    )
    app.state.sim = SimState(settings=settings, fleet=fleet)
    for module in (chargepoint_auth, chargepoint, easee, easee_stream, wallbox, zaptec):
        app.include_router(module.router)
    app.include_router(control.router)
    return app
