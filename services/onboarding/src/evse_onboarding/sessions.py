"""Hosted onboarding sessions: one browser journey, short-lived, finished once.

A session remembers what the user picked so far; the next page follows from it
(`onboarding_flow.next_step`). A session with `link_provider` only links the user's account
at that vendor (started by `GET /v2/vendor_accounts/link` or from a `vendor-account-not-linked`
problem). What the flow needs about the application and user is copied in at creation, so a
page never has to look them up. `country` is the one the user picked on the
compatibility page (a program's country still wins); `return_url` is where a finished session
sent the browser back to, so a later visit can offer the same way back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from evse_contracts.ids import new_capability

from .identity import Application, User

__all__ = ["OnboardingSession", "browser_key_hash", "new_session"]


@dataclass(frozen=True)
class OnboardingSession:
    uid: str
    application_uid: str
    user_uid: str
    user_email: str
    redirect_url: str
    expires_at: datetime
    program_id: str | None = None
    client_state: str | None = None
    evse_make_uid: str | None = None
    evse_model_uid: str | None = None
    support: str | None = None
    evse_uid: str | None = None
    evse_id: int | None = None
    link_provider: str | None = None
    application_name: str = ""
    country: str | None = None
    return_url: str | None = None
    completed_at: datetime | None = None
    browser_key_hash: str | None = None

    def url(self, public_base_url: str) -> str:
        return f"{public_base_url}/onboarding/{self.uid}"

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def charge_point_id(self) -> str:
        """A charger id derived from, but revealing nothing of, the session uid."""
        return "CP-" + hashlib.sha256(self.uid.encode()).hexdigest()[:10].upper()


def browser_key_hash(browser_key: str) -> str:
    return hashlib.sha256(browser_key.encode()).hexdigest()


def new_session(
    *,
    application: Application,
    user: User,
    now: datetime,
    ttl_s: int,
    client_state: str | None = None,
    evse_uid: str | None = None,
    evse_make_uid: str | None = None,
    evse_model_uid: str | None = None,
    link_provider: str | None = None,
    support: str | None = None,
) -> OnboardingSession:
    """A session of `user` of `application`, whose details it keeps for its pages."""
    return OnboardingSession(
        uid=new_capability("onb"),
        application_uid=application.uid,
        user_uid=user.uid,
        user_email=user.email,
        redirect_url=application.onboarding_redirect_url,
        expires_at=now + timedelta(seconds=ttl_s),
        program_id=application.program_id,
        client_state=client_state,
        evse_uid=evse_uid,
        evse_make_uid=evse_make_uid,
        evse_model_uid=evse_model_uid,
        link_provider=link_provider,
        support=support,
        application_name=application.name,
    )
