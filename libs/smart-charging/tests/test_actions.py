from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evse_smart_charging.actions import ActionBook, Observed

T0 = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def book() -> ActionBook:
    return ActionBook(retry_interval_s=30, timeout_s=120)


def test_a_newer_action_of_the_same_kind_cancels_the_older() -> None:
    actions = book()
    (first,) = actions.submit("e1", "set_current_limit", T0, current_limit_a=16)
    cancelled, second = actions.submit("e1", "set_current_limit", at(1), current_limit_a=10)
    assert (cancelled.action_id, cancelled.state) == (first.action_id, "cancelled")
    assert second.state == "pending"
    assert actions.active("e1", "current_limit") == second


def test_start_and_stop_share_a_kind_but_limits_do_not() -> None:
    actions = book()
    actions.submit("e1", "start_charging", T0)
    assert len(actions.submit("e1", "set_current_limit", T0, current_limit_a=8)) == 1
    changes = actions.submit("e1", "stop_charging", at(1))
    assert [c.state for c in changes] == ["cancelled", "pending"]


def test_an_action_is_resent_every_retry_interval_until_the_state_matches() -> None:
    actions = book()
    actions.submit("e1", "set_current_limit", T0, current_limit_a=16)
    assert [a.attempts for a in actions.due(T0)] == [1]
    assert actions.due(at(10)) == []
    assert [a.attempts for a in actions.due(at(30))] == [2]
    assert actions.observe("e1", Observed(charging=True, current_limit_a=10), at(31)) == []
    (confirmed,) = actions.observe("e1", Observed(charging=True, current_limit_a=16.2), at(32))
    assert (confirmed.state, confirmed.attempts) == ("confirmed", 2)
    assert actions.due(at(90)) == []


def test_an_unconfirmed_action_times_out_at_its_deadline() -> None:
    actions = book()
    actions.submit("e1", "start_charging", T0)
    sends = [len(actions.due(at(s))) for s in range(0, 121, 30)]
    assert sends == [1, 1, 1, 1, 0]
    assert actions.expire(at(119)) == []
    (late,) = actions.expire(at(120))
    assert (late.state, late.attempts) == ("timed_out", 4)
    assert actions.active("e1", "charging") is None


def test_a_refused_action_fails_and_is_not_resent() -> None:
    actions = book()
    actions.submit("e1", "start_charging", T0)
    actions.due(T0)
    (failed,) = actions.fail("e1", "charging", at(1))
    assert failed.state == "failed"
    assert actions.due(at(60)) == []


def test_a_state_that_already_matched_before_sending_does_not_confirm_unsent_actions() -> None:
    actions = book()
    actions.submit("e1", "stop_charging", T0)
    assert actions.observe("e1", Observed(charging=False), T0) == []
