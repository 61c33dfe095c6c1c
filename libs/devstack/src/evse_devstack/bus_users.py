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
import secrets
from typing import Any

from evse_contracts.permissions import SERVICE_PERMISSIONS, Permissions

__all__ = ["OPERATOR", "authorization_block", "password", "service_env"]

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


def _rendered(permissions: Permissions) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "publish": {"allow": list(permissions.publish), "deny": list(permissions.deny_publish)},
        "subscribe": {"allow": list(permissions.subscribe)},
    }
    if permissions.answers_requests:
        rendered["allow_responses"] = True
    return rendered
