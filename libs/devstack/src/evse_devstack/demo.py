"""The demo application and user that `make run` creates, with credentials kept across runs."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from evse_vendor_simulator.seed import ACCOUNT_NAMES, account_username

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_EMAIL",
    "DEMO_NAME",
    "DemoCredentials",
    "create_demo_tenant",
    "run_admin",
]

DEMO_CLIENT_ID = "demo-app"
DEMO_NAME = ACCOUNT_NAMES[0]
DEMO_EMAIL = account_username(DEMO_NAME)
"""The demo user; the simulator gives them an account at each cloud vendor (same login name)
owning that vendor's first charger."""


@dataclass(frozen=True)
class DemoCredentials:
    client_id: str
    client_secret: str
    application_uid: str
    user_uid: str
    user_email: str


def _secret(secret_file: Path) -> str:
    if secret_file.exists():
        return secret_file.read_text().strip()
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(24)
    secret_file.write_text(secret)
    secret_file.chmod(0o600)
    return secret


def run_admin(args: list[str], env: Mapping[str, str]) -> dict[str, str]:
    """Run `evse-admin` against the stack in `env`; its JSON answer."""
    out = subprocess.run(
        ["evse-admin", *args], env={**os.environ, **env}, check=True, capture_output=True
    ).stdout
    result: dict[str, str] = json.loads(out)
    return result


def create_demo_tenant(
    env: Mapping[str, str], *, secret_file: Path, redirect_url: str
) -> DemoCredentials:
    """Create (or reset) the demo application and its demo user; idempotent."""
    secret = _secret(secret_file)
    app = run_admin(
        [
            "create-application",
            "--name",
            "Demo app",
            "--redirect-url",
            redirect_url,
            "--client-id",
            DEMO_CLIENT_ID,
            "--client-secret",
            secret,
        ],
        env,
    )
    user = run_admin(["create-user", "--client-id", DEMO_CLIENT_ID, "--email", DEMO_EMAIL], env)
    return DemoCredentials(
        DEMO_CLIENT_ID, secret, app["application_uid"], user["user_uid"], user["email"]
    )
