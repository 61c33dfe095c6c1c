"""Review L8: no secret value is committed in deploy/; each reaches its service from a Secret.

A variable named like a secret (`…PASSWORD`, `…SECRET(S)`, `…_KEY`, and a MongoDB URL, which
carries credentials) must be empty in `.env.example`, a `${…}` reference in compose, and a
`secretKeyRef` in Kubernetes; no Kubernetes Secret and no private key is in the tree.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.checks import DEPLOY, render_kustomize

SECRET_NAME = re.compile(r"(PASSWORD|SECRETS?|_KEY|MONGODB_URL)$")
KUSTOMIZATIONS = [DEPLOY / "k8s" / "base", *sorted((DEPLOY / "k8s" / "overlays").iterdir())]


def deploy_files() -> list[Path]:
    return sorted(path for path in DEPLOY.rglob("*") if path.is_file())


def test_no_private_key_in_deploy() -> None:
    files = deploy_files()
    assert len(files) > 20
    holding = [path for path in files if "PRIVATE KEY-----" in path.read_text(errors="replace")]
    assert holding == []


def test_the_env_example_leaves_every_secret_empty() -> None:
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if "=" in line and not line.startswith("#")]
    secret = {name: value for name, value in pairs if SECRET_NAME.search(name)}
    assert {"MONGO_PASSWORD", "EVSE_CREDENTIALS_KEY", "EVSE_WEBHOOK_SECRETS"} <= set(secret)
    assert {name: value for name, value in secret.items() if value} == {}


def compose_environments() -> dict[str, dict[str, Any]]:
    """Each compose service's `environment` as written (anchors merged, nothing interpolated)."""
    services: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    return {name: service.get("environment") or {} for name, service in services.items()}


def test_compose_takes_every_secret_from_the_env_file() -> None:
    literal = {
        f"{service}.{name}": value
        for service, env in compose_environments().items()
        for name, value in env.items()
        if SECRET_NAME.search(name) and "${" not in str(value)
    }
    assert literal == {}
    assert "EVSE_WEBHOOK_SECRETS" in compose_environments()["gateway"]


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda path: path.name)
def test_kubernetes_takes_every_secret_from_a_secret(directory: Path) -> None:
    rendered = render_kustomize(directory)
    assert [r["metadata"]["name"] for r in rendered if r["kind"] == "Secret"] == []
    in_config_maps = [
        name
        for r in rendered
        if r["kind"] == "ConfigMap"
        for name in r.get("data", {})
        if SECRET_NAME.search(name)
    ]
    assert in_config_maps == []
    containers = [
        container
        for r in rendered
        if r["kind"] in ("Deployment", "Job")
        for container in r["spec"]["template"]["spec"]["containers"]
    ]
    not_from_secrets = [
        item["name"]
        for container in containers
        for item in container.get("env", [])
        if SECRET_NAME.search(item["name"]) and "secretKeyRef" not in item.get("valueFrom", {})
    ]
    assert not_from_secrets == []
    from_secrets = {
        item["name"]
        for container in containers
        for item in container.get("env", [])
        if "secretKeyRef" in item.get("valueFrom", {})
    }
    assert {"EVSE_NATS_PASSWORD", "EVSE_CREDENTIALS_KEY", "EVSE_WEBHOOK_SECRETS"} <= from_secrets
