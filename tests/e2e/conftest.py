"""The whole platform as separate processes, started once for every e2e test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evse_devstack.stack import Stack, start_stack

VENDOR = "zaptec"
"""The vendor the journey drives; its bridge polls fast so tests need not wait long."""

CLIENT_VENDOR = "easee"
"""The vendor the generated-client journey drives, so it never shares a charger with `VENDOR`'s."""

FAST_BRIDGE = {
    **{
        f"EVSE_VENDORS__{vendor.upper()}__{setting}": value
        for vendor in (VENDOR, CLIENT_VENDOR)
        for setting, value in (
            ("POLL_INTERVAL_S", "0.5"),
            ("BACKOFF_BASE_S", "0.5"),
            ("BACKOFF_MAX_S", "1"),
            # Polling this fast would spend Easee's real budget (30 calls a minute) at once
            # and leave nothing for sign-ins and imports.
            ("REQUESTS_PER_PERIOD", "100"),
            ("BUDGET_PERIOD_S", "1"),
        )
    },
    "EVSE_IDLE_WAIT_S": "0.1",
    "EVSE_COMMAND_CHECK_INTERVAL_S": "0.2",
    "EVSE_SIM_COMMAND_DELAY_S": "0.2",
    # Every e2e caller is 127.0.0.1: the fuzzers' failed token requests would lock it out.
    "EVSE_TOKEN_FAILURES_PER_ADDRESS": "100000",
    "EVSE_WAITLIST_SIGNUPS_PER_ADDRESS": "100000",
    # A service has 30 s to answer another, not 5: on a loaded 2-core runner an answer can be
    # that slow, and these tests check what is answered, never how fast.
    "EVSE_REQUEST_TIMEOUT_S": "30",
}


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with start_stack(
        tmp_path_factory.mktemp("stack"), persistent=False, extra_env=FAST_BRIDGE
    ) as stack:
        yield stack
