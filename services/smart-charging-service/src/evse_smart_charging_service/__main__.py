"""`evse-smart-charging-service` runs the service."""

from __future__ import annotations

from evse_runtime.service import run_service

from .app import create_service
from .settings import SmartChargingSettings


def main() -> None:
    run_service(create_service(SmartChargingSettings()))


if __name__ == "__main__":
    main()
