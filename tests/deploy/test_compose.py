"""deploy/compose.yaml parses as Docker Compose parses it, and starts in a safe order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.deploy.checks import DEPLOY, compose_config

COMPOSE = DEPLOY / "compose.yaml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    config = compose_config(COMPOSE, profiles=("dev",))
    result: dict[str, Any] = config["services"]
    return result


def test_backends_keep_their_data_in_named_volumes(services: dict[str, Any]) -> None:
    assert "-js" in services["nats"]["command"]
    for backend in ("nats", "mongo"):
        assert [volume["type"] for volume in services[backend]["volumes"]] == ["volume"]
    assert services["mongo"]["image"] == "mongo:7"


def test_services_start_only_after_what_they_need_is_healthy(services: dict[str, Any]) -> None:
    for name in ("catalogue", "telemetry", "provider-bridge", "onboarding", "notifier"):
        depends = services[name]["depends_on"]
        assert depends["nats"]["condition"] == "service_healthy"
        assert depends["mongo"]["condition"] == "service_healthy"
    seeded = services["catalogue"]["depends_on"]["catalogue-seed"]["condition"]
    assert seeded == "service_completed_successfully"
    gateway_needs = services["gateway"]["depends_on"]
    assert {"catalogue", "telemetry", "provider-bridge", "onboarding", "notifier"} <= set(
        gateway_needs
    )
    assert {dep["condition"] for dep in gateway_needs.values()} == {"service_healthy"}


def test_seed_is_a_one_shot_of_the_catalogue_image(services: dict[str, Any]) -> None:
    seed = services["catalogue-seed"]
    assert seed["command"] == ["seed"]
    assert seed["image"] == services["catalogue"]["image"]
    assert seed["restart"] == "no"


def test_vendor_simulator_runs_only_in_the_dev_profile(services: dict[str, Any]) -> None:
    assert services["vendor-simulator"]["profiles"] == ["dev"]
    assert "vendor-simulator" not in compose_config(COMPOSE)["services"]


def test_only_the_gateway_and_the_bridge_ocpp_listener_publish_a_port(
    services: dict[str, Any],
) -> None:
    published = sorted(name for name, svc in services.items() if svc.get("ports"))
    assert published == ["gateway", "provider-bridge"]


def test_compose_check_fails_a_broken_compose_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    text = COMPOSE.read_text().replace("depends_on: *backends-healthy", "depends_onn: {}", 1)
    broken.write_text(text)
    with pytest.raises(ValueError, match="depends_onn"):
        compose_config(broken)
