"""`evse-onboarding` runs the service (`evse-admin` manages applications and users)."""

from __future__ import annotations

from evse_runtime.service import run_service

from .app import create_service
from .settings import OnboardingSettings


def main() -> None:
    run_service(create_service(OnboardingSettings()))


if __name__ == "__main__":
    main()
