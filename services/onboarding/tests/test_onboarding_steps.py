"""The hosted flow's step rules: which page a session needs next, and which it may not skip."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from evse_onboarding.identity import Application, User
from evse_onboarding.onboarding_flow import needed_before_post, next_step, step_due
from evse_onboarding.sessions import OnboardingSession, new_session

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def fresh(
    *,
    evse_make_uid: str | None = None,
    evse_model_uid: str | None = None,
    support: str | None = None,
    link_provider: str | None = None,
) -> OnboardingSession:
    return new_session(
        application=Application(
            uid="app1",
            name="App",
            client_id="client_1",
            client_secret_hash="",
            onboarding_redirect_url="https://app.example/done",
            program_id=None,
            created_at=NOW,
        ),
        user=User(uid="user1", application_uid="app1", email="u@app.example", created_at=NOW),
        now=NOW,
        ttl_s=900,
        evse_make_uid=evse_make_uid,
        evse_model_uid=evse_model_uid,
        support=support,
        link_provider=link_provider,
    )


@pytest.mark.parametrize(
    ("fields", "step"),
    [
        ({}, "make"),
        ({"evse_make_uid": "make1"}, "model"),
        ({"evse_make_uid": "make1", "evse_model_uid": "model1"}, "compatibility"),
        ({"evse_model_uid": "model1", "support": "supported"}, "connect"),
        ({"link_provider": "easee", "evse_model_uid": "model1"}, "link"),
    ],
)
def test_the_next_step_follows_from_what_the_user_picked(fields: dict[str, str], step: str) -> None:
    assert next_step(fresh(**fields)) == step


def test_a_finished_session_has_no_next_step() -> None:
    assert next_step(replace(fresh(), completed_at=NOW)) == "done"


def test_a_later_page_sends_the_browser_back_to_the_step_it_skipped() -> None:
    picked_make = fresh(evse_make_uid="make1")
    assert step_due(picked_make, "connect") == "model"
    assert step_due(picked_make, "model") is None
    assert step_due(picked_make, "make") is None


def test_a_link_only_session_is_never_sent_back_to_the_picker() -> None:
    assert step_due(fresh(link_provider="easee"), "connect") is None


@pytest.mark.parametrize(
    ("step", "method", "needs"),
    [
        ("waitlist", "POST", "compatibility"),
        ("authorize", "POST", "connect"),
        ("connect", "GET", None),
        ("make", "POST", None),
    ],
)
def test_only_posts_that_change_a_later_step_need_an_earlier_one(
    step: str, method: str, needs: str | None
) -> None:
    assert needed_before_post(step, method) == needs
