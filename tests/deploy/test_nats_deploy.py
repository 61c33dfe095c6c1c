"""NATS as deployed: TLS, and the services' users exactly as the code's permission table."""

from __future__ import annotations

from typing import Any

import yaml

from evse_contracts.permissions import SERVICE_PERMISSIONS
from evse_devstack.bus_users import deploy_users, password_variable
from tests.deploy.checks import DEPLOY

VALUES = DEPLOY / "helm" / "nats-values.yaml"


def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(VALUES.read_text())
    return loaded


def test_the_helm_users_are_the_codes_permission_table() -> None:
    expected = deploy_users()
    for user in expected:
        user["password"] = f"<< {user['password']} >>"  # the chart's unquoted value
    assert values()["config"]["merge"]["authorization"]["users"] == expected


def test_clients_and_routes_speak_tls() -> None:
    config = values()["config"]
    assert config["nats"]["tls"]["enabled"] and config["cluster"]["tls"]["enabled"]


def test_each_password_comes_from_the_secret() -> None:
    env = values()["container"]["env"]
    for user in SERVICE_PERMISSIONS:
        ref = env[password_variable(user)]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "evse-nats", "key": user}
