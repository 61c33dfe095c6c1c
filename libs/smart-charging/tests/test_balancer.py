from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evse_contracts.smart_charging import Capabilities, SetSite, SiteMember
from evse_smart_charging.balancer import balance_site, check_site_limit, transition
from evse_smart_charging.capabilities import for_ocpp
from evse_smart_charging.errors import SiteLimitTooLow

CORE_ONLY = for_ocpp({"SupportedFeatureProfiles": "Core"}, max_current_a=16)
LIMITABLE = Capabilities(
    start_stop=True, current_limit=True, min_current_a=6, max_current_a=32,
    schedules=True, power_reading=True, energy_reading=True,
)  # fmt: skip


def member(uid: str, *, active: bool = True, priority: int = 1, rated: float = 32) -> SiteMember:
    return SiteMember(
        evse_uid=uid, priority=priority, active=active, rated_current_a=rated,
        capabilities=LIMITABLE,
    )  # fmt: skip


def site(limit: float, *members: SiteMember) -> SetSite:
    return SetSite(site_id="home", max_current_a=limit, members=members)


def test_two_active_chargers_share_what_the_idle_ones_minimum_leaves() -> None:
    """The idle charger is held at its minimum: a car plugging in before the next cycle
    draws 6 A, which the site has kept free."""
    allocation = balance_site(site(32, member("a"), member("b"), member("c", active=False)))
    assert allocation.limits_a == {"a": 13.0, "b": 13.0, "c": 6.0}


def test_an_idle_charger_whose_minimum_does_not_fit_is_paused_before_an_active_one() -> None:
    allocation = balance_site(site(10, member("a"), member("b", priority=9, active=False)))
    assert allocation.paused == ("b",)
    assert allocation.limits_a == {"a": 10.0, "b": 0.0}


def test_a_third_plugging_in_is_rebalanced_in_the_next_cycle() -> None:
    allocation = balance_site(site(32, member("a"), member("b"), member("c")))
    assert allocation.limits_a == {"a": 10.6, "b": 10.6, "c": 10.6}
    assert sum(allocation.limits_a.values()) <= 32


def test_priorities_weigh_the_share_within_each_chargers_range() -> None:
    allocation = balance_site(site(32, member("a", priority=3), member("b")))
    assert allocation.limits_a == {"a": 24.0, "b": 8.0}


def test_a_charger_that_cannot_take_a_limit_counts_at_its_rated_current() -> None:
    fixed = SiteMember(evse_uid="core", active=True, rated_current_a=16, capabilities=CORE_ONLY)
    allocation = balance_site(site(32, fixed, member("a"), member("b")))
    assert allocation.limits_a == {"core": 16, "a": 8.0, "b": 8.0}
    assert allocation.fixed == ("core",)


def test_the_lowest_priority_is_paused_when_the_minimums_do_not_fit() -> None:
    allocation = balance_site(site(16, member("a", priority=2), member("b"), member("c")))
    assert allocation.paused == ("c",)
    assert allocation.limits_a == {"a": 10.0, "b": 6.0, "c": 0.0}


def test_setting_a_site_limit_that_pauses_chargers_is_refused_naming_them() -> None:
    with pytest.raises(SiteLimitTooLow) as caught:
        check_site_limit(site(10, member("a"), member("b")))
    assert caught.value.paused == ("b",)
    assert "b" in caught.value.detail
    assert caught.value.to_problem().status == 422


def test_limits_are_lowered_before_any_is_raised() -> None:
    before = balance_site(site(32, member("a"), member("b"), member("c", active=False))).limits_a
    after = balance_site(site(32, member("a"), member("b"), member("c"))).limits_a
    steps = transition(before, after)
    assert steps.lowering == {"a": 10.6, "b": 10.6}
    assert steps.raising == {"c": 10.6}
    assert sum(before.values()) <= 32
    midway = {**before, **steps.lowering}
    assert sum(midway.values()) <= 32


@given(
    limit=st.floats(min_value=0, max_value=400),
    members=st.lists(
        st.tuples(st.booleans(), st.integers(1, 10), st.floats(6, 80), st.booleans()),
        max_size=12,
    ),
)
def test_the_sum_of_all_limits_never_exceeds_the_site_when_the_fixed_chargers_fit(
    limit: float, members: list[tuple[bool, int, float, bool]]
) -> None:
    built = [
        SiteMember(
            evse_uid=f"e{i}",
            priority=priority,
            active=active,
            rated_current_a=rated,
            capabilities=LIMITABLE if limitable else CORE_ONLY,
        )  # fmt: skip
        for i, (active, priority, rated, limitable) in enumerate(members)
    ]
    allocation = balance_site(site(limit, *built))
    fixed = sum(allocation.limits_a[uid] for uid in allocation.fixed)
    flexible = sum(a for uid, a in allocation.limits_a.items() if uid not in allocation.fixed)
    assert flexible <= max(limit - fixed, 0) + 1e-9
    for m in built:
        got = allocation.limits_a[m.evse_uid]
        assert got == 0 or got >= min(6, m.rated_current_a) - 1e-9
        assert got <= m.rated_current_a
