"""Ids that grant access cannot be guessed from other ids made at the same moment."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from evse_contracts.ids import is_uid, new_capability
from evse_onboarding.sessions import new_session


def _shared_prefix(a: str, b: str) -> int:
    return len(os.path.commonprefix([a, b]))


def _session_uids(count: int) -> list[str]:
    now = datetime.now(UTC)
    return [
        new_session(
            application_uid="app",
            user_uid="user",
            user_email="a@example.com",
            redirect_url="https://example.com",
            now=now,
            ttl_s=60,
        ).uid
        for _ in range(count)
    ]


def test_session_uids_made_in_a_burst_share_nothing_beyond_their_prefix() -> None:
    uids = _session_uids(500)
    assert all(is_uid(uid, "onb") for uid in uids)
    # A ULID burst shares the 10 timestamp characters and differs by +1 at the end.
    assert max(_shared_prefix(a, b) for a, b in zip(uids, uids[1:], strict=False)) < 3 + 6
    assert len({uid[-1] for uid in uids}) > 16


def test_capabilities_carry_at_least_128_random_bits() -> None:
    ids = [new_capability("onb")[3:] for _ in range(2000)]
    # 26 characters of a 32-letter alphabet, each used at every position.
    assert all(len(i) == 26 for i in ids)
    for position in range(26):
        assert len({i[position] for i in ids}) == 32
