"""`evse-health [TARGET]`: exit 0 when the target answers healthy, 1 otherwise.

For container probes (Docker `HEALTHCHECK`, Kubernetes exec probes), so it stays small and
quick: one connection, one request, a short timeout. TARGET is a bus health subject
(`catalogue.health`: asks this replica's own `catalogue.health.<EVSE_INSTANCE_ID>` over NATS,
healthy on an `ok` reply, so a pod's probe is never answered by another pod) or an
`http(s)://` URL (healthy on a 2xx). Without TARGET it checks the service the image was
built for (`EVSE_SERVICE`): its health subject, or the gateway's `/healthz` on `EVSE_PORT`.
"""

from __future__ import annotations

import asyncio
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

import structlog
from nats.errors import Error as NatsError
from pydantic import Field, ValidationError

from evse_contracts.bus import health_route
from evse_contracts.subjects import HEALTH_SUBJECTS

from .connection import connect_bus
from .logging import configure_logging
from .settings import BusSettings, instance_health_subject

__all__ = ["HealthcheckSettings", "check", "main"]

log = structlog.get_logger("evse.health")


class HealthcheckSettings(BusSettings):
    service: str = Field("", description="The service this image runs (set by the image).")
    port: int = Field(8000, ge=0, le=65535, description="The gateway's HTTP port.")
    health_timeout_s: float = Field(2.0, gt=0)


def default_target(settings: HealthcheckSettings) -> str:
    """What to check when no target is given: the image's own service."""
    if settings.service == "gateway":
        return f"http://127.0.0.1:{settings.port}/healthz"
    if settings.service in HEALTH_SUBJECTS:
        return HEALTH_SUBJECTS[settings.service]
    raise ValueError(f"no health check known for service {settings.service!r}")


async def check_subject(settings: BusSettings, subject: str, timeout_s: float) -> str | None:
    """None when `subject` replies `ok`, else why not."""
    try:
        nc = await asyncio.wait_for(
            connect_bus(settings, name="health", allow_reconnect=False, error_cb=_ignore_error),
            timeout=timeout_s,
        )
    except (NatsError, OSError, TimeoutError) as exc:
        return f"cannot connect to NATS at {settings.nats_servers}: {exc!r}"
    try:
        msg = await nc.request(subject, b"{}", timeout=timeout_s)
    except (NatsError, TimeoutError) as exc:
        return f"no reply on {subject}: {exc!r}"
    finally:
        await nc.close()
    try:
        reply = health_route(subject).parse_reply(msg.data)
    except ValidationError:
        return f"unexpected reply on {subject}"
    if reply.problem is not None:
        return f"{reply.problem.slug}: {reply.problem.detail}"
    return None


async def _ignore_error(_: Exception) -> None:
    """Connection errors surface as the reason; nats-py would also log each retry."""


def check_url(url: str, timeout_s: float) -> str | None:
    """None when `url` answers 2xx, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s):
            return None
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except OSError as exc:
        return f"{url} unreachable: {exc}"


def check(target: str, settings: HealthcheckSettings) -> str | None:
    """None when `target` is healthy, else the reason it is not."""
    timeout_s = settings.health_timeout_s
    if target.startswith(("http://", "https://")):
        return check_url(target, timeout_s)
    subject = instance_health_subject(target, settings.instance_id)
    return asyncio.run(check_subject(settings, subject, timeout_s))


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    settings = HealthcheckSettings()
    configure_logging("health", settings.log_level)
    try:
        target = args[0] if args else default_target(settings)
    except ValueError as exc:
        log.error("unhealthy", reason=str(exc))
        sys.exit(1)
    reason = check(target, settings)
    if reason is not None:
        log.warning("unhealthy", target=target, reason=reason)
    sys.exit(0 if reason is None else 1)
