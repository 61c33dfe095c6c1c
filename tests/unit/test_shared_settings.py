"""Services keep the consumer and lease tunables they had before `ConsumerSettings` and
`LeaseSettings` (the runtime's) replaced their own copies."""

from __future__ import annotations

import pytest

from evse_notifier.settings import NotifierSettings
from evse_onboarding.settings import OnboardingSettings
from evse_provider_bridge.settings import BridgeSettings
from evse_runtime.settings import ConsumerSettings, LeaseSettings
from evse_smart_charging_service.settings import SmartChargingSettings
from evse_telemetry.settings import TelemetrySettings

# batch, fetch timeout, linger, ack wait, max deliver, retry delay
Tunables = tuple[int, float, float | None, float, int, float]
EXPECTED: dict[type[ConsumerSettings], Tunables] = {
    TelemetrySettings: (2000, 1.0, None, 30.0, 20, 10.0),
    NotifierSettings: (500, 1.0, 0.005, 30.0, 20, 1.0),
    BridgeSettings: (16, 1.0, None, 30.0, 20, 10.0),
    OnboardingSettings: (16, 1.0, None, 30.0, 20, 10.0),
    SmartChargingSettings: (100, 1.0, None, 30.0, 5, 1.0),
}


@pytest.mark.parametrize("settings_type", EXPECTED, ids=lambda t: t.__name__)
def test_consumer_defaults_per_service(
    settings_type: type[ConsumerSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ConsumerSettings.model_fields:
        monkeypatch.delenv(f"EVSE_{name.upper()}", raising=False)
    settings = settings_type()
    assert (
        settings.batch_size,
        settings.fetch_timeout_s,
        settings.fetch_linger_s,
        settings.ack_wait_s,
        settings.max_deliver,
        settings.retry_delay_s,
    ) == EXPECTED[settings_type]


def test_consumer_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVSE_ACK_WAIT_S", "45")
    monkeypatch.setenv("EVSE_MAX_DELIVER", "7")
    settings = BridgeSettings()
    assert (settings.ack_wait_s, settings.max_deliver) == (45.0, 7)


@pytest.mark.parametrize(
    ("settings_type", "lease_s"), [(BridgeSettings, 60.0), (SmartChargingSettings, 30.0)]
)
def test_lease_defaults_per_service(
    settings_type: type[LeaseSettings], lease_s: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in LeaseSettings.model_fields:
        monkeypatch.delenv(f"EVSE_{name.upper()}", raising=False)
    settings = settings_type()
    assert (settings.lease_s, settings.idle_wait_s) == (lease_s, 1.0)
