"""A site's control loop on a simulated clock: chargers apply limits a few ticks late.

Three chargers on a 32 A site, two charging; the third plugs in. The sum of the limits the
chargers actually apply is sampled at every tick and never exceeds the site limit; the first
control cycle after the plug-in already sends the rebalancing (the lowerings), and the raise
follows as soon as the lowerings are observed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evse_contracts.smart_charging import Capabilities, SetSite, SiteMember
from evse_smart_charging.balancer import balance_site, next_limits

CAPS = Capabilities(
    start_stop=True, current_limit=True, min_current_a=6, max_current_a=32,
    schedules=True, power_reading=True, energy_reading=True,
)  # fmt: skip
DELAY_TICKS = 3
"""Ticks between a command being sent and the charger applying (and reporting) it."""


@dataclass
class SimulatedCharger:
    applied_a: float
    in_flight: list[tuple[int, float]] = field(default_factory=list)

    def command(self, tick: int, limit_a: float) -> None:
        self.in_flight.append((tick + DELAY_TICKS, limit_a))

    def advance(self, tick: int) -> None:
        for due, limit in [item for item in self.in_flight if item[0] <= tick]:
            self.applied_a = limit
            self.in_flight.remove((due, limit))


def site(*active: str) -> SetSite:
    return SetSite(
        site_id="garage", max_current_a=32,
        members=tuple(
            SiteMember(evse_uid=uid, active=uid in active, rated_current_a=32, capabilities=CAPS)
            for uid in ("a", "b", "c")
        ),
    )  # fmt: skip


def test_three_chargers_on_32_a_never_exceed_it_and_rebalance_on_plug_in() -> None:
    # Before the plug-in: the idle charger holds its 6 A reserve, the two others share the rest.
    chargers = {"a": SimulatedCharger(13), "b": SimulatedCharger(13), "c": SimulatedCharger(6)}
    sent_per_tick: list[dict[str, float]] = []
    samples: list[float] = []
    active = ("a", "b")
    for tick in range(40):
        if tick == 10:
            active = ("a", "b", "c")  # the third car plugs in
        # The charger's own report lags: what it applied, not what is in flight.
        observed = {uid: c.applied_a for uid, c in chargers.items()}
        in_flight = any(c.in_flight for c in chargers.values())
        sent = {} if in_flight else next_limits(observed, balance_site(site(*active)).limits_a)
        for uid, limit in sent.items():
            chargers[uid].command(tick, limit)
        sent_per_tick.append(sent)
        for charger in chargers.values():
            charger.advance(tick)
        samples.append(sum(c.applied_a for c in chargers.values()))
    assert max(samples) <= 32
    assert sent_per_tick[10] == {"a": 10.6, "b": 10.6}
    raised_at = next(t for t, sent in enumerate(sent_per_tick) if "c" in sent)
    assert raised_at == 10 + DELAY_TICKS + 1
    assert {uid: c.applied_a for uid, c in chargers.items()} == {"a": 10.6, "b": 10.6, "c": 10.6}


def test_raising_everything_at_once_would_have_exceeded_the_site() -> None:
    """The same plug-in without the lowering-first order: the check above can fail."""
    applied = {"a": 13.0, "b": 13.0, "c": 6.0}
    target = balance_site(site("a", "b", "c")).limits_a
    raise_first = {**applied, "c": target["c"]}
    assert sum(raise_first.values()) > 32
    assert "c" not in next_limits(applied, target)
