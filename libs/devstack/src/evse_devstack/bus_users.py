"""The NATS users of a development or test stack: each service's, and the operator's.

Every NATS server the devstack starts (`make run`, the test fixtures, the cluster) enforces
`evse_contracts.permissions`, so every test runs the services under the authorization
production has. Passwords come from a secret drawn once per process: services started as
child processes get theirs in `service_env`, in-process ones from `password`. The operator
(all permissions) is what tests and tools use to act on the bus directly; production has no
such user in its NATS config.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from evse_contracts.permissions import SERVICE_PERMISSIONS, Permissions

__all__ = [
    "OPERATOR",
    "authorization_block",
    "deploy_authorization_conf",
    "deploy_users",
    "password",
    "password_variable",
    "service_env",
]

OPERATOR = "operator"
_RUN_SECRET = secrets.token_bytes(32)


def password(user: str) -> str:
    """`user`'s password on the servers this process starts."""
    return hmac.new(_RUN_SECRET, user.encode(), hashlib.sha256).hexdigest()


def service_env(service: str) -> dict[str, str]:
    """The environment that makes `service` connect as its own user."""
    return {"EVSE_NATS_USER": service, "EVSE_NATS_PASSWORD": password(service)}


def authorization_block() -> str:
    """The nats-server `authorization` block: every service's user and the operator."""
    users: list[dict[str, Any]] = [{"user": OPERATOR, "password": password(OPERATOR)}]
    users += [
        {"user": user, "password": password(user), "permissions": _rendered(permissions)}
        for user, permissions in SERVICE_PERMISSIONS.items()
    ]
    return f"authorization {json.dumps({'users': users}, indent=2)}"


def password_variable(user: str) -> str:
    """The environment variable holding `user`'s NATS password in the deploy files."""
    return f"NATS_PASSWORD_{user.upper().replace('-', '_')}"


def deploy_users() -> list[dict[str, Any]]:
    """The services' users as the deploy files configure NATS: each password taken from its
    environment variable (`$VAR` in the server's config), no operator user."""
    return [
        {"user": user, "password": f"${password_variable(user)}", "permissions": _rendered(p)}
        for user, p in SERVICE_PERMISSIONS.items()
    ]


def deploy_authorization_conf() -> str:
    """`deploy/nats/authorization.conf`: `deploy_users` as a nats-server config block."""
    text = json.dumps({"users": deploy_users()}, indent=2)
    unquoted = re.sub(r'"\$(NATS_PASSWORD_[A-Z_]+)"', r"$\1", text)
    return f"{_GENERATED}authorization {unquoted}\n"


_GENERATED = (
    "# Generated from evse_contracts.permissions by evse_devstack.bus_users; do not edit.\n"
    "# Each password is an environment variable of the NATS server (see deploy/README.md).\n"
)


def _rendered(permissions: Permissions) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "publish": {"allow": list(permissions.publish), "deny": list(permissions.deny_publish)},
        "subscribe": {"allow": list(permissions.subscribe)},
    }
    if permissions.answers_requests:
        rendered["allow_responses"] = True
    return rendered
