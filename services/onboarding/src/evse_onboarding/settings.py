from __future__ import annotations

from evse_runtime.settings import ServiceSettings

__all__ = ["OnboardingSettings"]


class OnboardingSettings(ServiceSettings):
    database: str = "evse_onboarding"
