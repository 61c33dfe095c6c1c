"""Hosted onboarding sessions: one browser journey, short-lived, used once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from evse_contracts.ids import new_uid

__all__ = ["OnboardingSession", "new_session"]


@dataclass(frozen=True)
class OnboardingSession:
    uid: str
    application_uid: str
    user_uid: str
    expires_at: datetime
    evse_uid: str | None = None
    evse_make_uid: str | None = None
    evse_model_uid: str | None = None
    client_state: str | None = None
    completed_at: datetime | None = None

    def url(self, public_base_url: str) -> str:
        return f"{public_base_url}/onboarding/{self.uid}"

    def is_open(self, now: datetime) -> bool:
        return self.completed_at is None and now < self.expires_at


def new_session(
    *,
    application_uid: str,
    user_uid: str,
    now: datetime,
    ttl_s: int,
    evse_uid: str | None = None,
    evse_make_uid: str | None = None,
    evse_model_uid: str | None = None,
    client_state: str | None = None,
) -> OnboardingSession:
    return OnboardingSession(
        uid=new_uid("onb"),
        application_uid=application_uid,
        user_uid=user_uid,
        expires_at=now + timedelta(seconds=ttl_s),
        evse_uid=evse_uid,
        evse_make_uid=evse_make_uid,
        evse_model_uid=evse_model_uid,
        client_state=client_state,
    )
