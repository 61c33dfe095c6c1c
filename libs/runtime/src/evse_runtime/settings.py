"""Settings every process shares; each service subclasses `ServiceSettings`."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "BusSettings",
    "ConsumerSettings",
    "LeaseSettings",
    "ServiceSettings",
    "instance_health_subject",
]


def instance_health_subject(health_subject: str, instance_id: str) -> str:
    """The health subject only this replica answers, so a probe checks its own pod."""
    return f"{health_subject}.{instance_id}"


class BusSettings(BaseSettings):
    """Where NATS is, and how this process logs. `NATS_URL` works as well as `EVSE_NATS_URL`."""

    model_config = SettingsConfigDict(env_prefix="EVSE_", extra="ignore", populate_by_name=True)

    nats_url: str = Field(
        "nats://127.0.0.1:4222", validation_alias=AliasChoices("EVSE_NATS_URL", "NATS_URL")
    )
    nats_user: str | None = Field(
        None,
        max_length=64,
        description="This service's NATS user (its name); with it, user info in `nats_url` "
        "is ignored. See `evse_contracts.permissions` for what each user may do.",
    )
    nats_password: SecretStr | None = Field(None, description="The NATS user's password.")
    nats_ca_file: Path | None = Field(
        None, description="CA bundle that signed the NATS servers' certificates (`tls://`)."
    )
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    request_timeout_s: float = Field(5.0, gt=0)
    instance_id: str = Field(
        default_factory=lambda: re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname()),
        pattern=r"^[A-Za-z0-9_-]+$",
        description="This replica's name (default: the host name), e.g. in its health subject.",
    )
    env: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses to start with a secret missing or left at its dev value.",
    )
    stream_replicas: int = Field(
        1,
        ge=1,
        le=5,
        description="Copies of every JetStream stream and KV bucket: 1 on one server, 3 on a "
        "cluster (a node may then fail without losing or stopping a stream).",
    )

    def insecure_settings(self) -> list[str]:
        """Names (`EVSE_…`) of secrets missing or at a dev default; each service adds its own."""
        return [] if self.nats_password is not None else ["EVSE_NATS_PASSWORD"]

    @model_validator(mode="after")
    def _no_dev_secrets_in_production(self) -> Self:
        if self.env == "production":
            insecure = self.insecure_settings()
            if insecure:
                raise ValueError(
                    "EVSE_ENV=production: set these to real secrets (missing or dev "
                    f"default): {', '.join(insecure)}"
                )
        return self

    @property
    def nats_servers(self) -> list[str]:
        """`nats_url` split on commas: every cluster node a client may (re)connect to."""
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]


class ServiceSettings(BusSettings):
    """A bus service: NATS plus its own MongoDB database, drained within `graceful_timeout_s`."""

    mongodb_url: str = Field(
        "mongodb://127.0.0.1:27017/?directConnection=true",
        validation_alias=AliasChoices("EVSE_MONGODB_URL", "MONGODB_URL"),
    )
    database: str
    graceful_timeout_s: float = Field(10.0, gt=0)
    max_in_flight: int = Field(256, ge=1, description="Messages handled at once per replica.")
    metrics_port: int | None = Field(None, description="Serve Prometheus metrics on this port.")


class ConsumerSettings(BaseSettings):
    """The tunables of a service's durable pull consumers (`evse_runtime.consumers.consume`).

    A service that consumes a stream mixes this into its settings, overriding a default where
    its traffic wants another (a bulk writer a larger batch, a low-latency source a linger).
    """

    model_config = SettingsConfigDict(env_prefix="EVSE_", extra="ignore", populate_by_name=True)

    batch_size: int = Field(16, ge=1, le=10_000, description="Most messages fetched per pull.")
    fetch_timeout_s: float = Field(
        1.0, gt=0, description="Longest wait for a pull's first message (or to fill)."
    )
    fetch_linger_s: float | None = Field(
        None,
        gt=0,
        description="Once a pull has a message, how long it waits for more to fill its batch; "
        "none: a pull waits for a full batch or the fetch timeout.",
    )
    ack_wait_s: float = Field(30.0, gt=0, description="Unacked messages are redelivered after it.")
    max_deliver: int = Field(20, ge=1, description="Deliveries before JetStream gives up.")
    retry_delay_s: float = Field(
        10.0, gt=0, description="Delay before a message whose handling failed is redelivered."
    )


class LeaseSettings(BaseSettings):
    """The tunables of a service's lease loops (`evse_runtime.leases.work_off`): due work that
    replicas share through MongoDB leases."""

    model_config = SettingsConfigDict(env_prefix="EVSE_", extra="ignore", populate_by_name=True)

    lease_s: float = Field(
        30.0,
        gt=0,
        description="How long a replica owns a piece of due work it claimed; keep it well over "
        "one piece's work, or a live replica's work is taken over.",
    )
    idle_wait_s: float = Field(1.0, gt=0, description="A lease loop's pause when nothing is due.")
