"""`EVSE_ENV=production`: a service with a secret missing or at its dev value refuses to start."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError

from evse_devstack.keys import KeyPair
from evse_gateway.settings import GatewaySettings
from evse_onboarding.settings import OnboardingSettings
from evse_provider_bridge.settings import BridgeSettings

CASES = [
    ("evse_gateway", ["EVSE_JWT_PUBLIC_KEY_FILE", "EVSE_WEBHOOK_SECRETS", "EVSE_NATS_PASSWORD"]),
    ("evse_onboarding", ["EVSE_JWT_PRIVATE_KEY_FILE", "EVSE_NATS_PASSWORD"]),
    ("evse_provider_bridge", ["EVSE_CREDENTIALS_KEY", "EVSE_NATS_PASSWORD"]),
    ("evse_catalogue", ["EVSE_NATS_PASSWORD"]),
    ("evse_telemetry", ["EVSE_NATS_PASSWORD"]),
    ("evse_notifier", ["EVSE_NATS_PASSWORD"]),
]
NATS_USER: dict[str, Any] = {"nats_user": "svc", "nats_password": SecretStr("a-real-nats-pw")}


@pytest.mark.parametrize(("module", "names"), CASES)
def test_a_service_started_in_production_with_dev_secrets_refuses_and_names_them(
    module: str, names: list[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVSE_")}
    env["EVSE_ENV"] = "production"
    done = subprocess.run(
        [sys.executable, "-m", module], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "EVSE_ENV=production" in done.stderr, done.stderr
    for name in names:
        assert name in done.stderr, done.stderr


def test_production_accepts_real_secrets(keys: KeyPair) -> None:
    GatewaySettings(
        env="production",
        jwt_public_key_file=keys.public_key_file,
        webhook_secrets={"zaptec": SecretStr("a-real-secret")},
        **NATS_USER,
    )
    OnboardingSettings(env="production", jwt_private_key_file=keys.private_key_file, **NATS_USER)
    BridgeSettings(
        env="production",
        credentials_key=SecretStr(Fernet.generate_key().decode()),
        **NATS_USER,
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda k: GatewaySettings(env="production", jwt_public_key_file=k.public_key_file),
        lambda k: OnboardingSettings(env="production"),
        lambda k: OnboardingSettings(
            env="production",
            jwt_private_key_file=k.private_key_file,
            simulator_url="http://127.0.0.1:9",
        ),
        lambda k: BridgeSettings(env="production"),
        lambda k: GatewaySettings(
            env="production",
            jwt_public_key_file=k.public_key_file,
            webhook_secrets={"zaptec": SecretStr("a-real-secret")},
        ),
    ],
)
def test_each_dev_value_alone_is_refused(keys: KeyPair, build: Callable[[KeyPair], object]) -> None:
    with pytest.raises(ValidationError, match="EVSE_ENV=production"):
        build(keys)


def test_development_keeps_its_defaults() -> None:
    GatewaySettings()
    OnboardingSettings()
    BridgeSettings()
