"""`make run`'s banner: the demo user's vendor logins and the simulator's URL."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from evse_devstack.cli import _banner
from evse_devstack.demo import DEMO_EMAIL, DemoCredentials
from evse_vendor_simulator.seed import SEED_ACCOUNTS


def test_the_banner_prints_the_demo_users_vendor_logins_and_the_simulator_url() -> None:
    backend = SimpleNamespace(kind="embedded", url="nats://127.0.0.1:4222")
    stack = SimpleNamespace(
        base_url="http://127.0.0.1:8000",
        ocpp_url="ws://127.0.0.1:9000/ocpp",
        nats=backend,
        mongodb=backend,
        log_dir=Path(".data/logs"),
        env={"EVSE_SIMULATOR_URL": "http://127.0.0.1:8765"},
        demo=DemoCredentials("demo-app", "secret", "app01", "user01", DEMO_EMAIL),
    )
    banner = _banner(cast(Any, stack))
    assert "http://127.0.0.1:8765" in banner and "SIMULATED" in banner
    demo_logins = [a for a in SEED_ACCOUNTS if a.username == DEMO_EMAIL]
    assert len(demo_logins) == 4
    for account in demo_logins:
        assert f"{account.username}  password {account.password}" in banner
    assert "/v2/vendor_accounts/link?provider=zaptec" in banner
