"""The hosted flow's steps as pure rules: make → model → compatibility → connect.

The session says what the user picked so far; `next_step` says which page comes next, and
`step_due` sends a browser back to an earlier page it skipped (a bookmarked URL, a form
posted twice). A link-only session (`link_provider`) has the `link` page alone. No I/O
here: the pages ask these rules.
"""

from __future__ import annotations

from typing import Literal

from .sessions import OnboardingSession

__all__ = ["STEP_NUMBER", "Step", "needed_before_post", "next_step", "step_due"]

Step = Literal["link", "make", "model", "compatibility", "connect", "done"]

STEP_NUMBER = {"make": 1, "model": 2, "compatibility": 3, "connect": 4}
"""The numbered steps in their order, as the pages show them."""

_POST_NEEDS = {
    "compatibility": "compatibility",
    "waitlist": "compatibility",
    "connect": "connect",
    "authorize": "connect",
}
"""The page a session must have reached before these POSTs are allowed."""


def next_step(session: OnboardingSession) -> Step:
    """The first page this session still needs."""
    if session.completed_at is not None:
        return "done"
    if session.link_provider is not None:
        return "link"
    if session.evse_model_uid is None:
        return "make" if session.evse_make_uid is None else "model"
    if session.support is None:
        return "compatibility"
    return "connect"


def step_due(session: OnboardingSession, step: str) -> Step | None:
    """The earlier page the session has not passed yet on its way to `step`; None if none."""
    order = list(STEP_NUMBER)
    due = next_step(session)
    if due in order and order.index(due) < order.index(step):
        return due
    return None


def needed_before_post(step: str, method: str) -> str | None:
    """The page a session must have reached before this request may change it."""
    return _POST_NEEDS.get(step) if method == "POST" else None
