"""The one way a process connects to NATS: as its own user, replies on its own inbox prefix,
over TLS verified with `nats_ca_file` when the servers' certificates come from a private CA."""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import nats
from nats.aio.client import Client as NatsClient

from evse_contracts.permissions import inbox_prefix

from .settings import BusSettings

__all__ = ["connect_bus"]


async def connect_bus(settings: BusSettings, *, name: str, **options: Any) -> NatsClient:
    """Connect with `settings`' user (its password, its inbox prefix), else as the URL says."""
    servers = settings.nats_servers
    if settings.nats_user is not None:
        servers = [_without_user_info(url) for url in servers]
        options = {
            "user": settings.nats_user,
            "password": (
                settings.nats_password.get_secret_value() if settings.nats_password else ""
            ),
            "inbox_prefix": inbox_prefix(settings.nats_user),
            **options,
        }
    if settings.nats_ca_file is not None:
        options = {"tls": ssl.create_default_context(cafile=settings.nats_ca_file), **options}
    return await nats.connect(servers, name=name, **options)


def _without_user_info(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host))
