"""`evse-vendor-simulator` serves the simulated vendor clouds on `EVSE_SIM_PORT` (8700)."""

from __future__ import annotations

import uvicorn

from .app import create_app
from .settings import SimulatorSettings


def main() -> None:
    settings = SimulatorSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
