"""Each production pod's environment, as the overlay renders it, passes its service's settings.

`EVSE_ENV=production` makes a service refuse to start with a secret missing or at its dev value
(review L8): this builds every container's environment from the rendered ConfigMaps and `env`
entries (a value from a Secret stands in as a random string) and validates it with the service's
own settings class, so a secret the manifests forget fails here, not as a crash-looping pod.
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

import pytest
from cryptography.fernet import Fernet

from evse_catalogue.settings import CatalogueSettings
from evse_contracts.bridge import PROVIDERS
from evse_gateway.settings import GatewaySettings
from evse_notifier.settings import NotifierSettings
from evse_onboarding.settings import OnboardingSettings
from evse_provider_bridge.settings import BridgeSettings
from evse_runtime.settings import BusSettings
from evse_smart_charging_service.settings import SmartChargingSettings
from evse_telemetry.settings import TelemetrySettings
from tests.deploy.checks import DEPLOY, render_kustomize

PRODUCTION = DEPLOY / "k8s" / "overlays" / "production"
SETTINGS: dict[str, type[BusSettings]] = {
    "gateway": GatewaySettings,
    "catalogue": CatalogueSettings,
    "catalogue-seed": CatalogueSettings,
    "telemetry": TelemetrySettings,
    "provider-bridge": BridgeSettings,
    "onboarding": OnboardingSettings,
    "notifier": NotifierSettings,
    "smart-charging-service": SmartChargingSettings,
}
Resource = dict[str, Any]


@pytest.fixture(scope="module")
def rendered() -> list[Resource]:
    return render_kustomize(PRODUCTION)


def pod_environment(container: Resource, config_maps: dict[str, Resource]) -> dict[str, str]:
    """The variables the container starts with; each from a Secret is a fresh random string."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]].get("data", {}))
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            assert "secretKeyRef" in item["valueFrom"], item["name"]
            env[item["name"]] = _stand_in(item["name"])
    return env


def _stand_in(name: str) -> str:
    if name == "EVSE_WEBHOOK_SECRETS":
        return json.dumps({provider: secrets.token_urlsafe(32) for provider in PROVIDERS})
    if name == "EVSE_CREDENTIALS_KEY":
        return Fernet.generate_key().decode()
    return secrets.token_urlsafe(32)


def workloads(rendered: list[Resource]) -> dict[str, Resource]:
    return {
        r["metadata"]["name"]: r["spec"]["template"]["spec"]["containers"][0]
        for r in rendered
        if r["kind"] in ("Deployment", "Job")
    }


def test_every_workload_has_a_settings_class(rendered: list[Resource]) -> None:
    assert sorted(workloads(rendered)) == sorted(SETTINGS)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_the_pod_environment_starts_its_service_in_production(
    rendered: list[Resource], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_maps = {r["metadata"]["name"]: r for r in rendered if r["kind"] == "ConfigMap"}
    env = pod_environment(workloads(rendered)[name], config_maps)
    assert env["EVSE_ENV"] == "production"
    for variable in [v for v in os.environ if v.startswith(("EVSE_", "NATS_"))]:
        monkeypatch.delenv(variable)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    settings = SETTINGS[name]()
    assert settings.insecure_settings() == []
