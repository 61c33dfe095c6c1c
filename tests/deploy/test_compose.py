"""deploy/compose.yaml parses as Docker Compose parses it, and starts in a safe order."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from evse_contracts.permissions import SERVICE_PERMISSIONS
from evse_devstack.backends import nats_server_binary
from evse_devstack.bus_users import deploy_authorization_conf, password_variable
from evse_devstack.processes import free_port, spawn, stop, wait_for_port
from tests.deploy.checks import DEPLOY, compose_config
from tests.utils.nats_wire import connect_reply

COMPOSE = DEPLOY / "compose.yaml"
NATS_CONF = DEPLOY / "nats" / "nats.conf"
AUTHORIZATION_CONF = DEPLOY / "nats" / "authorization.conf"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    config = compose_config(COMPOSE, profiles=("dev",))
    result: dict[str, Any] = config["services"]
    return result


def test_backends_keep_their_data_in_named_volumes(services: dict[str, Any]) -> None:
    assert services["nats"]["command"] == ["-c", "/etc/nats/nats.conf"]
    assert "jetstream { store_dir: /data }" in NATS_CONF.read_text()
    data = {"nats": "/data", "mongo": "/data/db"}
    for backend, target in data.items():
        mounted = {volume["target"]: volume["type"] for volume in services[backend]["volumes"]}
        assert mounted[target] == "volume"
    assert services["mongo"]["image"] == "mongo:7"


def test_nats_and_mongodb_require_credentials(services: dict[str, Any]) -> None:
    """Review L8: every service has its own NATS user and password, MongoDB a root user."""
    nats_env = services["nats"]["environment"]
    for user in SERVICE_PERMISSIONS:
        env = services[user]["environment"]
        assert env["EVSE_NATS_USER"] == user
        assert env["EVSE_NATS_PASSWORD"] == nats_env[password_variable(user)]
        assert env["EVSE_NATS_PASSWORD"].startswith("stand-in-")  # from deploy/.env only
    assert services["catalogue-seed"]["environment"]["EVSE_NATS_USER"] == "catalogue"
    mongo_env = services["mongo"]["environment"]
    assert mongo_env["MONGO_INITDB_ROOT_PASSWORD"].startswith("stand-in-")
    assert "@mongo:27017" in services["telemetry"]["environment"]["EVSE_MONGODB_URL"]


def test_service_secrets_come_only_from_the_env_file(services: dict[str, Any]) -> None:
    """Review L8: the webhook keys and the credentials key have no committed value."""
    assert services["gateway"]["environment"]["EVSE_WEBHOOK_SECRETS"].startswith("stand-in-")
    bridge = services["provider-bridge"]["environment"]
    assert bridge["EVSE_CREDENTIALS_KEY"].startswith("stand-in-")


def test_the_nats_authorization_is_the_codes_permission_table() -> None:
    assert AUTHORIZATION_CONF.read_text() == deploy_authorization_conf(), (
        "regenerate: uv run python -c 'from evse_devstack.bus_users import "
        'deploy_authorization_conf as d; print(d(), end="")\' > deploy/nats/authorization.conf'
    )


async def test_the_compose_nats_config_lets_each_service_in_with_its_password_only(
    tmp_path: Path,
) -> None:
    """The real nats-server on deploy/nats/nats.conf (its store moved to a temporary dir)."""
    for conf in (NATS_CONF, AUTHORIZATION_CONF):
        (tmp_path / conf.name).write_text(conf.read_text().replace("/data", str(tmp_path)))
    port = free_port()
    config = tmp_path / "nats.conf"
    config.write_text(config.read_text().replace("0.0.0.0:4222", f"127.0.0.1:{port}"))
    passwords = {password_variable(user): f"pw-{user}" for user in SERVICE_PERMISSIONS}
    server = spawn([nats_server_binary(), "-c", str(config)], env={**os.environ, **passwords})
    try:
        wait_for_port(port, server)
        assert await connect_reply(port, user="gateway", **{"pass": "pw-gateway"}) == "PONG"
        assert await connect_reply(port, user="gateway", **{"pass": "pw-notifier"}) != "PONG"
        assert "Authorization Violation" in await connect_reply(port)
    finally:
        stop(server)


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
