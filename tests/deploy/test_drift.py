"""Compose and Kubernetes name the services, ports, env settings and health subjects the code has.

The code is the reference: the workspace's service members, their settings classes (env prefix
`EVSE_`), the health subject table. A renamed setting or a new service fails here until the
deploy files follow.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic_settings import BaseSettings

from evse_catalogue.settings import CatalogueSettings
from evse_contracts.subjects import HEALTH_SUBJECTS
from evse_gateway.settings import GatewaySettings
from evse_notifier.settings import NotifierSettings
from evse_onboarding.settings import OnboardingSettings
from evse_provider_bridge.settings import BridgeSettings
from evse_runtime.settings import ServiceSettings
from evse_smart_charging_service.settings import SmartChargingSettings
from evse_telemetry.settings import TelemetrySettings
from tests.deploy.checks import DEPLOY, compose_config, render_kustomize

SETTINGS: dict[str, type[BaseSettings]] = {
    "gateway": GatewaySettings,
    "catalogue": CatalogueSettings,
    "telemetry": TelemetrySettings,
    "provider-bridge": BridgeSettings,
    "onboarding": OnboardingSettings,
    "notifier": NotifierSettings,
    "smart-charging-service": SmartChargingSettings,
}
BUS_SERVICES = sorted(set(SETTINGS) - {"gateway"})
COMPOSE_ONLY = {"vendor-simulator"}
GATEWAY_SHUTDOWN_S = 10
"""uvicorn's `timeout_graceful_shutdown` in `evse_gateway.__main__`."""
MARGIN_S = 5
Rendered = dict[tuple[str, str], dict[str, Any]]


def env_names(settings: type[BaseSettings]) -> set[str]:
    return {f"EVSE_{name.upper()}" for name in settings.model_fields}


def unknown_settings(service: str, names: set[str]) -> set[str]:
    """Names that are no setting of `service` (nested `EVSE_A__B` counts as `EVSE_A`)."""
    return {name for name in names if name.split("__")[0] not in env_names(SETTINGS[service])}


def bus_drain_s(graceful_timeout_s: float) -> float:
    """Worst case of `Runtime.drain`: background loops, then in-flight work, each bounded."""
    return 2 * graceful_timeout_s


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    services: dict[str, Any] = compose_config(DEPLOY / "compose.yaml", profiles=("dev",))[
        "services"
    ]
    return services


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def k8s(request: pytest.FixtureRequest) -> Rendered:
    resources = render_kustomize(DEPLOY / "k8s" / request.param)
    return {(r["kind"], r["metadata"]["name"]): r for r in resources}


def k8s_env(k8s: Rendered, container: dict[str, Any]) -> dict[str, str]:
    """The container's environment: its ConfigMaps' data, then its own `env` (secret refs as '')."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(k8s["ConfigMap", source["configMapRef"]["name"]]["data"])
    env.update({item["name"]: item.get("value", "") for item in container.get("env", [])})
    return env


def container_of(k8s: Rendered, name: str) -> dict[str, Any]:
    container: dict[str, Any] = k8s["Deployment", name]["spec"]["template"]["spec"]["containers"][0]
    return container


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, duration
    return float(match.group(1))


def test_the_settings_table_covers_every_service_in_the_workspace() -> None:
    members = {path.name for path in (DEPLOY.parent / "services").iterdir() if path.is_dir()}
    assert members == set(SETTINGS)
    assert set(HEALTH_SUBJECTS) == set(BUS_SERVICES)
    for service in BUS_SERVICES:
        assert issubclass(SETTINGS[service], ServiceSettings)


def test_compose_builds_one_image_per_service(compose: dict[str, Any]) -> None:
    built = {svc["build"]["args"]["SERVICE"] for svc in compose.values() if "build" in svc}
    assert built == set(SETTINGS) | COMPOSE_ONLY
    for service in SETTINGS:
        assert compose[service]["build"]["args"]["SERVICE"] == service


def test_kubernetes_runs_one_deployment_per_service(
    k8s: Rendered,
) -> None:
    assert {name for kind, name in k8s if kind == "Deployment"} == set(SETTINGS)


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_compose_sets_only_settings_the_service_has(compose: dict[str, Any], service: str) -> None:
    assert unknown_settings(service, set(compose[service]["environment"])) == set()


def test_compose_seed_sets_only_catalogue_settings(compose: dict[str, Any]) -> None:
    assert unknown_settings("catalogue", set(compose["catalogue-seed"]["environment"])) == set()


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_kubernetes_sets_only_settings_the_service_has(k8s: Rendered, service: str) -> None:
    assert unknown_settings(service, set(k8s_env(k8s, container_of(k8s, service)))) == set()


def test_kubernetes_seed_job_sets_only_catalogue_settings(
    k8s: Rendered,
) -> None:
    container = k8s["Job", "catalogue-seed"]["spec"]["template"]["spec"]["containers"][0]
    assert unknown_settings("catalogue", set(k8s_env(k8s, container))) == set()


def test_gateway_port_is_the_same_everywhere(compose: dict[str, Any], k8s: Rendered) -> None:
    container = container_of(k8s, "gateway")
    port = int(k8s_env(k8s, container)["EVSE_PORT"])
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert k8s["Service", "gateway"]["spec"]["ports"][0]["targetPort"] == "http"
    assert int(compose["gateway"]["environment"]["EVSE_PORT"]) == port
    assert [p["target"] for p in compose["gateway"]["ports"]] == [port]
    assert k8s_env(k8s, container)["EVSE_HOST"] == compose["gateway"]["environment"]["EVSE_HOST"]


def test_bridge_ocpp_port_is_the_same_everywhere(compose: dict[str, Any], k8s: Rendered) -> None:
    container = container_of(k8s, "provider-bridge")
    port = int(k8s_env(k8s, container)["EVSE_OCPP_PORT"])
    assert {"name": "ocpp", "containerPort": port} in container["ports"]
    service = k8s["Service", "provider-bridge-ocpp"]["spec"]
    assert service["ports"][0]["targetPort"] == "ocpp"
    assert service["selector"] == {"app.kubernetes.io/name": "provider-bridge"}
    assert int(compose["provider-bridge"]["environment"]["EVSE_OCPP_PORT"]) == port
    assert [p["target"] for p in compose["provider-bridge"]["ports"]] == [port]


@pytest.mark.parametrize("service", BUS_SERVICES)
def test_bus_service_metrics_port_and_health_subject_match_the_code(
    compose: dict[str, Any], k8s: Rendered, service: str
) -> None:
    container = container_of(k8s, service)
    metrics_port = int(k8s_env(k8s, container)["EVSE_METRICS_PORT"])
    assert {"name": "metrics", "containerPort": metrics_port} in container["ports"]
    assert container["livenessProbe"]["tcpSocket"]["port"] == "metrics"
    assert int(compose[service]["environment"]["EVSE_METRICS_PORT"]) == metrics_port
    probe = container["readinessProbe"]["exec"]["command"]
    assert probe == ["evse-health", HEALTH_SUBJECTS[service]]


@pytest.mark.parametrize("service", BUS_SERVICES)
def test_grace_period_covers_the_bus_service_drain(
    compose: dict[str, Any], k8s: Rendered, service: str
) -> None:
    env = k8s_env(k8s, container_of(k8s, service))
    drain = bus_drain_s(float(env["EVSE_GRACEFUL_TIMEOUT_S"])) + MARGIN_S
    grace = k8s["Deployment", service]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= drain
    compose_drain = bus_drain_s(float(compose[service]["environment"]["EVSE_GRACEFUL_TIMEOUT_S"]))
    assert seconds(compose[service]["stop_grace_period"]) >= compose_drain + MARGIN_S


def test_grace_period_covers_the_gateway_drain(compose: dict[str, Any], k8s: Rendered) -> None:
    pod = k8s["Deployment", "gateway"]["spec"]["template"]["spec"]
    pause = pod["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] >= pause + GATEWAY_SHUTDOWN_S + MARGIN_S
    assert seconds(compose["gateway"]["stop_grace_period"]) >= GATEWAY_SHUTDOWN_S + MARGIN_S


def test_env_example_names_only_settings_or_compose_variables() -> None:
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    every_setting = set().union(*(env_names(settings) for settings in SETTINGS.values()))
    assert {name for name in names if name.startswith("EVSE_")} <= every_setting
    compose_text = (DEPLOY / "compose.yaml").read_text()
    for name in names:
        used = f"${{{name}:-" in compose_text or f"${{{name}:?" in compose_text
        assert used, f"{name} is not used by compose.yaml"
