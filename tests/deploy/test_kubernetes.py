"""The kustomize base and overlays render, pass the pinned Kubernetes schema, and run safely."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from evse_contracts.permissions import SERVICE_PERMISSIONS
from tests.deploy.checks import DEPLOY, render_kustomize, schema_errors

KUSTOMIZATIONS = [DEPLOY / "k8s" / "base", *sorted((DEPLOY / "k8s" / "overlays").iterdir())]
JETSTREAM_TRIGGER_KEYS = {
    "natsServerMonitoringEndpoint",
    "account",
    "stream",
    "consumer",
    "lagThreshold",
}


def of_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


@pytest.fixture(scope="module", params=KUSTOMIZATIONS, ids=lambda p: p.name)
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render_kustomize(request.param)


def test_every_resource_passes_the_kubernetes_schema(rendered: list[dict[str, Any]]) -> None:
    errors, skipped = schema_errors(rendered)
    assert errors == []
    assert skipped == ["keda.sh/v1alpha1 ScaledObject/telemetry"]


def test_pods_run_non_root_on_a_read_only_root(rendered: list[dict[str, Any]]) -> None:
    workloads = [*of_kind(rendered, "Deployment").values(), *of_kind(rendered, "Job").values()]
    assert workloads
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])


def test_every_deployment_has_probes_anti_affinity_and_a_disruption_budget(
    rendered: list[dict[str, Any]],
) -> None:
    budgets = of_kind(rendered, "PodDisruptionBudget")
    for name, deployment in of_kind(rendered, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert "readinessProbe" in container and "livenessProbe" in container
        assert pod["affinity"]["podAntiAffinity"]
        assert budgets[name]["spec"]["selector"] == deployment["spec"]["selector"]


def test_gateway_and_catalogue_scale_on_cpu_and_telemetry_on_consumer_lag(
    rendered: list[dict[str, Any]],
) -> None:
    autoscalers = of_kind(rendered, "HorizontalPodAutoscaler")
    deployments = of_kind(rendered, "Deployment")
    assert sorted(autoscalers) == ["catalogue", "gateway"]
    for name, hpa in autoscalers.items():
        assert hpa["spec"]["scaleTargetRef"]["name"] == name
        assert "replicas" not in deployments[name]["spec"]
    scaled = of_kind(rendered, "ScaledObject")["telemetry"]["spec"]
    assert scaled["scaleTargetRef"]["name"] == "telemetry"
    assert "replicas" not in deployments["telemetry"]["spec"]
    assert scaled["minReplicaCount"] <= scaled["maxReplicaCount"]
    for trigger in scaled["triggers"]:
        assert trigger["type"] == "nats-jetstream"
        assert JETSTREAM_TRIGGER_KEYS <= set(trigger["metadata"])
        assert trigger["metadata"]["stream"] == "TELEMETRY"


def test_only_the_gateway_and_ocpp_are_reachable_from_outside(
    rendered: list[dict[str, Any]],
) -> None:
    policies = of_kind(rendered, "NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {} and "ingress" not in deny
    open_to_all = [
        policy["spec"]["podSelector"]
        for policy in policies.values()
        for rule in policy["spec"].get("ingress", [])
        if "from" not in rule
    ]
    assert open_to_all == [
        {"matchLabels": {"app.kubernetes.io/name": "gateway"}},
        {"matchLabels": {"app.kubernetes.io/name": "provider-bridge"}},
    ]
    assert sorted(of_kind(rendered, "Service")) == ["gateway", "provider-bridge-ocpp"]


def test_production_runs_in_its_namespace_with_released_images() -> None:
    rendered = render_kustomize(DEPLOY / "k8s" / "overlays" / "production")
    namespaced = [r for r in rendered if r["kind"] != "Namespace"]
    assert {r["metadata"]["namespace"] for r in namespaced} == {"evse"}
    for deployment in of_kind(rendered, "Deployment").values():
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert ":" in image.rsplit("/", 1)[1]
    assert of_kind(rendered, "HorizontalPodAutoscaler")["gateway"]["spec"]["minReplicas"] >= 2


def workloads(rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rendered if r["kind"] in ("Deployment", "Job")]


def test_every_workload_is_its_own_nats_user_with_a_secret_password(
    rendered: list[dict[str, Any]],
) -> None:
    """Reviews M1 and L8: no shared or committed NATS credentials."""
    for workload in workloads(rendered):
        container = workload["spec"]["template"]["spec"]["containers"][0]
        env = {item["name"]: item for item in container["env"]}
        user = env["EVSE_NATS_USER"]["value"]
        assert user in SERVICE_PERMISSIONS
        secret = env["EVSE_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert secret == {"name": "evse-nats", "key": user}


def test_every_pod_may_reach_only_what_it_needs(rendered: list[dict[str, Any]]) -> None:
    policies = of_kind(rendered, "NetworkPolicy")
    deny = policies["default-deny-egress"]["spec"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Egress"] and "egress" not in deny
    internet = policies["vendor-clouds-and-webhooks"]["spec"]
    names = internet["podSelector"]["matchExpressions"][0]["values"]
    assert sorted(names) == ["notifier", "provider-bridge"]
    (rule,) = internet["egress"]
    assert "169.254.0.0/16" in rule["to"][0]["ipBlock"]["except"]
    assert [port["port"] for port in rule["ports"]] == [443]


def test_production_refuses_dev_secrets_and_speaks_tls_outward() -> None:
    """Review L8: production must not tell chargers or browsers a cleartext URL."""
    rendered = render_kustomize(DEPLOY / "k8s" / "overlays" / "production")
    config = of_kind(rendered, "ConfigMap")
    common = next(c["data"] for name, c in config.items() if name.startswith("evse-common"))
    assert common["EVSE_ENV"] == "production"
    assert common["EVSE_NATS_URL"].startswith("tls://")
    gateway = next(c["data"] for name, c in config.items() if name.startswith("evse-gateway"))
    assert gateway["EVSE_PUBLIC_BASE_URL"].startswith("https://")
    assert gateway["EVSE_TRUSTED_PROXIES"]
    deployments = of_kind(rendered, "Deployment")
    urls = {
        item["name"]: item.get("value", "")
        for deployment in deployments.values()
        for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        if item["name"] in ("EVSE_OCPP_PUBLIC_URL", "EVSE_PUBLIC_BASE_URL")
    }
    assert urls["EVSE_OCPP_PUBLIC_URL"].startswith("wss://")
    assert urls["EVSE_PUBLIC_BASE_URL"].startswith("https://")
    for workload in workloads(rendered):
        mounts = workload["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
        assert "/var/run/secrets/evse-nats-ca" in [m["mountPath"] for m in mounts]


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("  replica: 3\n", "replica"),
        ("  template:\n    spec:\n      terminationGracePeriodSeconds: thirty\n", "thirty"),
    ],
    ids=["unknown-field", "wrong-type"],
)
def test_checker_fails_a_broken_manifest(tmp_path: Path, spec: str, named: str) -> None:
    """An overlay that breaks the catalogue Deployment makes the check fail, naming the fault."""
    shutil.copytree(DEPLOY / "k8s", tmp_path / "k8s")
    overlay = tmp_path / "k8s" / "overlays" / "broken"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "resources: [../../base]\npatches: [{path: broken.yaml}]\n"
    )
    (overlay / "broken.yaml").write_text(
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: catalogue}}\nspec:\n{spec}"
    )
    errors, _ = schema_errors(render_kustomize(overlay))
    assert len(errors) == 1
    assert errors[0].startswith("Deployment/catalogue")
    assert named in errors[0]


def test_renderer_fails_a_kustomization_naming_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    with pytest.raises(ValueError, match="missing.yaml"):
        render_kustomize(tmp_path)
