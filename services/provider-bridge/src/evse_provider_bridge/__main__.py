"""`evse-provider-bridge` runs the service."""

from __future__ import annotations

from evse_runtime.service import run_service

from .app import create_service
from .settings import BridgeSettings


def main() -> None:
    run_service(create_service(BridgeSettings()))


if __name__ == "__main__":
    main()
