"""Every Dockerfile passes hadolint and keeps the runtime promises the probes rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.deploy.checks import DEPLOY, hadolint

DOCKERFILES = sorted(DEPLOY.rglob("Dockerfile*"))


def final_stage(dockerfile: Path) -> list[str]:
    """The instructions of the last stage, continuation lines joined."""
    text = dockerfile.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]
    last_from = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return lines[last_from:]


def instruction(stage: list[str], keyword: str) -> str:
    found = [line for line in stage if line.upper().startswith(f"{keyword} ")]
    assert found, f"the final stage has no {keyword}"
    return found[-1].split(" ", 1)[1].strip()


def test_there_is_a_dockerfile() -> None:
    assert DOCKERFILES


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    assert hadolint(dockerfile) == ""


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_final_stage_runs_as_a_non_root_user(dockerfile: Path) -> None:
    user = instruction(final_stage(dockerfile), "USER")
    assert user.split(":")[0] not in {"root", "0"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_final_stage_has_no_build_tools(dockerfile: Path) -> None:
    stage = " ".join(final_stage(dockerfile)).lower()
    for tool in ("uv sync", "pip install", "apt-get install", "gcc", "build-essential"):
        assert tool not in stage


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_final_stage_signals_python_directly_and_checks_health(dockerfile: Path) -> None:
    stage = final_stage(dockerfile)
    assert instruction(stage, "STOPSIGNAL") == "SIGTERM"
    assert isinstance(json.loads(instruction(stage, "ENTRYPOINT")), list)
    assert "evse-health" in instruction(stage, "HEALTHCHECK")


def test_hadolint_fails_a_broken_dockerfile(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(
        "FROM python:latest\n"
        "RUN apt-get update && apt-get install -y gcc\n"
        "ENTRYPOINT evse-gateway\n"
    )
    findings = hadolint(broken)
    for rule in ("DL3007", "DL3008", "DL3025"):
        assert rule in findings


def test_dockerignore_keeps_the_context_to_the_workspace() -> None:
    patterns = (DEPLOY.parent / ".dockerignore").read_text().splitlines()
    assert patterns[patterns.index("*")] == "*"
    assert {"!pyproject.toml", "!uv.lock", "!libs/", "!services/"} <= set(patterns)
