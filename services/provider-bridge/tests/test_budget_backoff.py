"""Back-off per vendor account: one account's failures hold only its own calls, except a 429
from a vendor that counts per address, which holds them all."""

from __future__ import annotations

import pytest

from evse_provider_bridge.budget import VendorBudget


def budget(provider: str) -> VendorBudget:
    return VendorBudget(provider=provider, requests=10, period_s=1)


@pytest.mark.parametrize("status", [503, 429])
def test_an_accounts_failures_hold_only_that_account_where_the_vendor_counts_per_account(
    status: int,
) -> None:
    zaptec = budget("zaptec")
    zaptec.record_failure("alice", status=status, base_s=10, max_s=60)
    assert zaptec.blocked_for_s("alice") >= 5
    assert zaptec.blocked_for_s("bob") == 0


def test_a_429_from_a_vendor_counting_per_address_holds_every_account() -> None:
    easee = budget("easee")
    easee.record_failure("alice", status=503, base_s=10, max_s=60)
    assert easee.blocked_for_s("bob") == 0  # an outage answer: per account
    easee.record_failure("alice", status=429, base_s=10, max_s=60, retry_after_s=30)
    assert easee.blocked_for_s("bob") > 29


def test_success_starts_the_accounts_back_off_again() -> None:
    wallbox = budget("wallbox")
    delays = [wallbox.record_failure("a", status=503, base_s=1, max_s=60) for _ in range(4)]
    assert delays[-1] >= 4  # the fourth failure in a row: 4-8 s
    wallbox.record_success("a")
    assert wallbox.record_failure("a", status=503, base_s=1, max_s=60) <= 1
