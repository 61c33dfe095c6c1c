"""The one action model for commands, vendor clouds and OCPP alike.

One active action per EVSE and kind (`charging`, `current_limit`, `schedule`): a newer one
cancels the older. An action stays `pending` and is re-sent every `retry_interval_s` until the
charger's observed state matches it (`confirmed`), the integration refuses it for good
(`failed`), or its deadline passes (`timed_out`). Every transition is returned so the caller
writes it to the command log and publishes it as a client event; time is passed in, so a
simulated clock drives it in tests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from evse_contracts.smart_charging import Action, ActionKind

__all__ = ["ActionBook", "Observed", "kind_of"]

_KIND: dict[str, ActionKind] = {
    "start_charging": "charging",
    "stop_charging": "charging",
    "set_current_limit": "current_limit",
    "set_schedule": "schedule",
}
LIMIT_TOLERANCE_A = 0.5
"""Chargers round limits (Easee to 1 A, OCPP to 0.1 A): closer than this counts as matching."""


def kind_of(command: str) -> ActionKind:
    return _KIND[command]


@dataclass(frozen=True, slots=True)
class Observed:
    """What the charger last reported."""

    charging: bool
    current_limit_a: float | None = None
    schedule_id: int | None = None


def _matches(action: Action, observed: Observed) -> bool:
    if action.command == "start_charging":
        return observed.charging
    if action.command == "stop_charging":
        return not observed.charging
    if action.command == "set_current_limit":
        return (
            observed.current_limit_a is not None
            and action.current_limit_a is not None
            and abs(observed.current_limit_a - action.current_limit_a) < LIMIT_TOLERANCE_A
        )
    return observed.schedule_id is not None


class ActionBook:
    """The active actions, at most one per EVSE and kind."""

    def __init__(self, *, retry_interval_s: float, timeout_s: float) -> None:
        self._retry = timedelta(seconds=retry_interval_s)
        self._timeout = timedelta(seconds=timeout_s)
        self._active: dict[tuple[str, ActionKind], Action] = {}
        self._next_attempt: dict[str, datetime] = {}

    def active(self, evse_uid: str, kind: ActionKind) -> Action | None:
        return self._active.get((evse_uid, kind))

    def submit(
        self, evse_uid: str, command: str, now: datetime, current_limit_a: float | None = None
    ) -> list[Action]:
        """Start tracking a command: the cancelled older action (if any), then the new one."""
        kind = kind_of(command)
        changes = []
        older = self._active.pop((evse_uid, kind), None)
        if older is not None:
            changes.append(self._close(older, "cancelled", now))
        action = Action(
            action_id=secrets.token_hex(8),
            evse_uid=evse_uid,
            kind=kind,
            command=command,
            current_limit_a=current_limit_a,
            state="pending",
            attempts=0,
            created_at=now,
            deadline_at=now + self._timeout,
            updated_at=now,
        )
        self._active[(evse_uid, kind)] = action
        self._next_attempt[action.action_id] = now
        changes.append(action)
        return changes

    def due(self, now: datetime) -> list[Action]:
        """Pending actions to send now (first attempt or retry), their attempt counted."""
        sends = []
        for key, action in self._active.items():
            if self._next_attempt[action.action_id] <= now < action.deadline_at:
                action = action.model_copy(
                    update={"attempts": action.attempts + 1, "updated_at": now}
                )
                self._active[key] = action
                self._next_attempt[action.action_id] = now + self._retry
                sends.append(action)
        return sends

    def observe(self, evse_uid: str, observed: Observed, now: datetime) -> list[Action]:
        """Confirm this EVSE's actions that the observed state now matches."""
        confirmed = []
        for kind in ("charging", "current_limit", "schedule"):
            action = self._active.get((evse_uid, kind))
            if action is not None and action.attempts > 0 and _matches(action, observed):
                del self._active[(evse_uid, kind)]
                confirmed.append(self._close(action, "confirmed", now))
        return confirmed

    def fail(self, evse_uid: str, kind: ActionKind, now: datetime) -> list[Action]:
        """The integration refused the action for good (not a transient error)."""
        action = self._active.pop((evse_uid, kind), None)
        return [] if action is None else [self._close(action, "failed", now)]

    def expire(self, now: datetime) -> list[Action]:
        """Time out every action whose deadline has passed unconfirmed."""
        late = [key for key, action in self._active.items() if action.deadline_at <= now]
        return [self._close(self._active.pop(key), "timed_out", now) for key in late]

    def _close(self, action: Action, state: str, now: datetime) -> Action:
        self._next_attempt.pop(action.action_id, None)
        return action.model_copy(update={"state": state, "updated_at": now})
