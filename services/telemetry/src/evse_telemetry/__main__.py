"""`evse-telemetry` runs the service."""

from __future__ import annotations

from evse_runtime.service import run_service

from .app import QUEUE, create_app
from .settings import TelemetrySettings


def main() -> None:
    settings = TelemetrySettings()
    run_service(service=QUEUE, settings=settings, create_app=lambda: create_app(settings))


if __name__ == "__main__":
    main()
