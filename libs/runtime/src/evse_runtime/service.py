"""Build a bus service: a NATS broker with problem replies, a health subject and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

import uvloop
from faststream import Context, FastStream
from faststream._internal.basic_types import Lifespan
from faststream.nats import NatsBroker, NatsRouter
from faststream.nats.prometheus import NatsPrometheusMiddleware
from prometheus_client import REGISTRY, start_http_server
from pymongo.errors import PyMongoError

from evse_contracts.bus import Empty, Health
from evse_contracts.problems import ServiceUnavailable

from .logging import configure_logging
from .mongo import Database
from .replies import ReplyMiddleware
from .settings import ServiceSettings

__all__ = ["DB_CONTEXT", "create_broker", "request_router", "run_service", "service_app", "serving"]

_FASTSTREAM_LOG = logging.getLogger("evse.faststream")
DB_CONTEXT = "db"
"""Context key of the service's MongoDB database, set by each service's lifespan."""


def request_router() -> NatsRouter:
    """A router for request/reply subjects: replies are envelopes, errors are problems."""
    return NatsRouter(middlewares=(ReplyMiddleware,))


def _health_router(service: str, subject: str) -> NatsRouter:
    router = request_router()

    @router.subscriber(subject, queue=service)
    async def health(_: Empty, db: Annotated[Database, Context(DB_CONTEXT)]) -> Health:
        try:
            await db.command("ping")
        except PyMongoError as exc:
            raise ServiceUnavailable(f"{service} cannot reach its database") from exc
        return Health(service=service)

    return router


def create_broker(*, service: str, health_subject: str, settings: ServiceSettings) -> NatsBroker:
    """A broker whose per-message logging is left to `ReplyMiddleware` (one line, JSON)."""
    broker = NatsBroker(
        settings.nats_url,
        graceful_timeout=settings.graceful_timeout_s,
        logger=_FASTSTREAM_LOG,
        log_level=logging.DEBUG,
        middlewares=(NatsPrometheusMiddleware(registry=REGISTRY, app_name=service),),
        max_reconnect_attempts=-1,
    )
    broker.include_router(_health_router(service, health_subject))
    return broker


def service_app(broker: NatsBroker, lifespan: Lifespan) -> FastStream:
    """The FastStream app of a service, logging through the JSON log pipeline."""
    return FastStream(broker, lifespan=lifespan, logger=_FASTSTREAM_LOG)


@asynccontextmanager
async def serving(app: FastStream) -> AsyncIterator[FastStream]:
    """Run `app` (lifespan, then broker) for the duration of the block; for embedding and tests."""
    async with app.lifespan_context(), app:
        yield app


def run_service(
    *, service: str, settings: ServiceSettings, create_app: Callable[[], FastStream]
) -> None:
    """Entry point body of every service: logs, metrics port, then run until SIGTERM."""
    configure_logging(service, settings.log_level)
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port)
    uvloop.run(create_app().run())
