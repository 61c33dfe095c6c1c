"""Planning and balancing cost per control cycle: 10k EVSEs in 1k sites, against baselines.

Pure domain code, in-process (no NATS, no store): what one control cycle of the smart-charging
loop computes. Per cycle, every site is balanced (`balance_site`); plans are re-made on
events (plug-in, new prices, less power), and the worst case re-plans every EVSE
(`plan_charging`, 12 h to departure, a 24 h curve of quarter-hour prices). Baselines from the
same run on the same inputs: balancing as an equal split of the site limit (the cheapest rule
that keeps the sum), planning as sorting the plan's quarter-hour prices (the least work any
cheapest-interval planner does). Prints µs per EVSE and ratios; writes
bench/results/smart_charging.txt.

Knobs: BENCH_SITES (default 1000), BENCH_PER_SITE (default 10), BENCH_CYCLES (default 3).
"""

from __future__ import annotations

import os
import platform
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from _common import write_result

from evse_contracts.smart_charging import (
    Capabilities,
    PriceInterval,
    SetChargePlan,
    SetSite,
    SiteMember,
)
from evse_smart_charging.balancer import balance_site
from evse_smart_charging.planner import ChargerLimits, plan_charging

NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
LIMITABLE = Capabilities(
    start_stop=True, current_limit=True, min_current_a=6, max_current_a=32,
    schedules=True, power_reading=True, energy_reading=True,
)  # fmt: skip
FIXED = Capabilities(
    start_stop=True, current_limit=False, schedules=False, power_reading=False,
    energy_reading=True,
)  # fmt: skip


def sites(count: int, per_site: int, rng: random.Random) -> list[SetSite]:
    return [
        SetSite(
            site_id=f"s{s}",
            max_current_a=rng.choice((32, 63, 100)),
            members=tuple(
                SiteMember(
                    evse_uid=f"s{s}e{e}",
                    priority=rng.randint(1, 3),
                    active=rng.random() < 0.7,
                    rated_current_a=rng.choice((16, 32)),
                    capabilities=FIXED if rng.random() < 0.1 else LIMITABLE,
                )
                for e in range(per_site)
            ),
        )
        for s in range(count)
    ]


def plans(count: int, rng: random.Random) -> list[SetChargePlan]:
    curve = tuple(
        PriceInterval(
            start_at=NOW + timedelta(minutes=15 * q),
            end_at=NOW + timedelta(minutes=15 * (q + 1)),
            price=round(rng.uniform(0.05, 0.45), 4),
        )
        for q in range(96)
    )
    return [
        SetChargePlan(
            evse_uid=f"e{i}",
            target_energy_kwh=rng.uniform(5, 60),
            departure_at=NOW + timedelta(hours=12),
            price_curve=curve,
        )
        for i in range(count)
    ]


def equal_split(site: SetSite) -> dict[str, float]:
    active = [m for m in site.members if m.active]
    share = site.max_current_a / len(active) if active else 0.0
    return {m.evse_uid: min(share, m.rated_current_a) for m in active}


def sorted_prices(request: SetChargePlan) -> list[float]:
    departure = request.departure_at
    return sorted(p.price for p in request.price_curve if p.start_at < departure)


def per_item_us(work: Callable[[], object], items: int, cycles: int) -> float:
    best = float("inf")
    for _ in range(cycles):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best / items * 1e6


def main() -> None:
    count, per_site = (
        int(os.environ.get("BENCH_SITES", 1000)),
        int(os.environ.get("BENCH_PER_SITE", 10)),
    )
    cycles = int(os.environ.get("BENCH_CYCLES", 3))
    rng = random.Random(19)
    site_list, plan_list = sites(count, per_site, rng), plans(count * per_site, rng)
    limits = ChargerLimits(6.0, 32.0, phases=3)
    evses = count * per_site
    balance = per_item_us(lambda: [balance_site(s) for s in site_list], evses, cycles)
    split = per_item_us(lambda: [equal_split(s) for s in site_list], evses, cycles)
    planning = per_item_us(
        lambda: [plan_charging(p, now=NOW, limits=limits) for p in plan_list], evses, cycles
    )
    sorting = per_item_us(lambda: [sorted_prices(p) for p in plan_list], evses, cycles)
    cycle_s = (balance + planning) * evses / 1e6
    text = "\n".join(
        [
            f"smart charging control cycle, {evses} EVSEs in {count} sites, best of {cycles}",
            f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, python {platform.python_version()}",
            f"balance: {balance:.2f} us/EVSE vs equal split {split:.2f} us/EVSE: "
            f"{balance / split:.1f}x",
            f"plan (12 h, 96 prices): {planning:.1f} us/EVSE vs sorting the prices "
            f"{sorting:.1f} us/EVSE: {planning / sorting:.1f}x",
            f"balancing cycle (every site): {balance * evses / 1e3:.0f} ms; "
            f"with every EVSE re-planned too: {cycle_s:.2f} s",
        ]
    )
    write_result("smart_charging", text)


if __name__ == "__main__":
    main()
