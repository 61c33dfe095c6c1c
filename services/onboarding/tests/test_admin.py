"""`evse-admin` refuses a chosen client secret short enough to guess online (review M4)."""

from __future__ import annotations

import pytest

from evse_onboarding.admin import MIN_SECRET_LENGTH, _parser, _run
from evse_onboarding.settings import OnboardingSettings


async def test_a_short_chosen_secret_is_refused_before_anything_is_stored() -> None:
    args = _parser().parse_args(
        [
            "create-application",
            "--name",
            "Short",
            "--redirect-url",
            "https://app.example/done",
            "--client-secret",
            "x" * (MIN_SECRET_LENGTH - 1),
        ]
    )
    settings = OnboardingSettings(mongodb_url="mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=1")
    with pytest.raises(SystemExit, match=f"at least {MIN_SECRET_LENGTH} characters"):
        await _run(args, settings)
