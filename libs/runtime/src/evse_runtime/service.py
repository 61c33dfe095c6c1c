"""Run a bus service: connect NATS and MongoDB, register handlers, serve, drain on SIGTERM.

A service is a `Service` value: its name (also its queue group), its health subject, its
settings and a `setup` context manager that opens what it needs and registers handlers on
the `Runtime` it is given. `running()` serves it for the duration of a block (tests, embedding);
`run_service()` serves it until SIGTERM or Ctrl-C (the entry points).

Drain order on stop: unsubscribe (no new work), stop background loops, wait for in-flight
handlers up to `graceful_timeout_s`, close `setup`'s resources, then flush and close NATS.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
import uvloop
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from prometheus_client import start_http_server
from pydantic import BaseModel
from pymongo.errors import PyMongoError

from evse_contracts.bus import Empty, Health, Route, health_route
from evse_contracts.problems import ServiceUnavailable

from .connection import connect_bus
from .gc_tuning import freeze_startup_objects
from .logging import configure_logging
from .mongo import Database, open_database
from .reply_memo import ReplyMemo
from .responders import Handler, InFlight, RequestContext, Responder
from .settings import ServiceSettings, instance_health_subject

__all__ = ["Runtime", "Service", "run_service", "running"]

RequestT = TypeVar("RequestT", bound=BaseModel)
ReplyT = TypeVar("ReplyT", bound=BaseModel)
log = structlog.get_logger("evse.service")
MessageCallback = Callable[[Msg], Awaitable[None]]


class Runtime:
    """Given to a service's `setup`: its connections, and where it registers its work."""

    def __init__(self, *, service: str, nc: NatsClient, db: Database, settings: ServiceSettings):
        self.service = service
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.db = db
        self.settings = settings
        self.stopping = asyncio.Event()
        self._responders: list[Responder[Any, Any]] = []
        self._listeners: list[tuple[str, MessageCallback]] = []
        self._loops: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._subscriptions: list[Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._in_flight = InFlight(settings.max_in_flight)

    def respond(
        self,
        route: Route[RequestT, ReplyT],
        handler: Handler[RequestT, ReplyT],
        *,
        shared: bool = True,
        memo: ReplyMemo | None = None,
    ) -> None:
        """Answer `route`; `shared` (the default) in the service's queue group, so replicas
        share the load, else in this replica alone. With a `memo`, a request answered `ok`
        before is answered again from it (see `ReplyMemo`)."""
        self._responders.append(Responder(route, handler, self.nc, shared, memo))

    def listen(self, subject: str, callback: MessageCallback) -> None:
        """Receive every message on `subject` in every replica (a broadcast, no queue group)."""
        self._listeners.append((subject, callback))

    def loop(self, body: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `body` as a background task from start; it must return once `stopping` is set."""
        self._loops.append(body)

    async def start(self) -> None:
        for responder in self._responders:
            sub = await self.nc.subscribe(
                responder.route.subject,
                queue=self.service if responder.shared else "",
                cb=self._answering(responder),
            )
            self._subscriptions.append(sub)
        for subject, callback in self._listeners:
            self._subscriptions.append(
                await self.nc.subscribe(subject, cb=self._scheduled(callback))
            )
        # A round trip to the server. It does not prove the SUBs above in place (nats-py writes
        # its PING ahead of commands its flusher has not sent): health answering does, for
        # every responder, since its SUB is written after theirs.
        await self.nc.flush()
        self._tasks = [asyncio.create_task(body()) for body in self._loops]

    def _answering(self, responder: Responder[Any, Any]) -> Callable[[Msg], Awaitable[None]]:
        """A held reply is sent at once; anything else is handled in a task of its own."""

        async def answer(msg: Msg) -> None:
            if not await responder.answer_held(msg):
                await self._in_flight.start(responder(msg))

        return answer

    def _scheduled(
        self, work: Callable[[Msg], Awaitable[None]]
    ) -> Callable[[Msg], Awaitable[None]]:
        async def schedule(msg: Msg) -> None:
            await self._in_flight.start(work(msg))

        return schedule

    async def drain(self) -> None:
        # drain, not unsubscribe: messages already delivered to this client are still handled
        await asyncio.gather(*(sub.drain() for sub in self._subscriptions))  # type: ignore[no-untyped-call]
        self.stopping.set()
        timeout = self.settings.graceful_timeout_s
        cut = await self._stop_loops(timeout)
        abandoned = await self._in_flight.wait(timeout)
        log.info("drained", abandoned=abandoned, loops_cut=cut)

    async def _stop_loops(self, timeout_s: float) -> int:
        """Wait for the loops to see `stopping`, cancel those still running (e.g. in a fetch)
        after `timeout_s`, and collect every loop's end: one left running would fail later on
        the closed connection, with an error no one retrieves. Returns how many were cut."""
        if not self._tasks:
            return 0
        _, running = await asyncio.wait(self._tasks, timeout=timeout_s)
        for task in running:
            task.cancel()
        for ended in await asyncio.gather(*self._tasks, return_exceptions=True):
            if isinstance(ended, Exception):
                log.error("loop failed", exc_info=ended)
        return len(running)


@dataclass(frozen=True)
class Service:
    name: str
    health_subject: str
    settings: ServiceSettings
    setup: Callable[[Runtime], AbstractAsyncContextManager[None]]


def _health(service: str, db: Database) -> Handler[Empty, Health]:
    async def health(_: Empty, __: RequestContext) -> Health:
        try:
            await db.command("ping")
        except PyMongoError as exc:
            raise ServiceUnavailable(f"{service} cannot reach its database") from exc
        return Health(service=service)

    return health


@asynccontextmanager
async def running(service: Service) -> AsyncIterator[Runtime]:
    """Serve `service` for the duration of the block."""
    settings = service.settings
    nc = await connect_bus(settings, name=service.name, max_reconnect_attempts=-1)
    try:
        async with open_database(settings.mongodb_url, settings.database) as db:
            runtime = Runtime(service=service.name, nc=nc, db=db, settings=settings)
            async with service.setup(runtime):
                # Health last: a replica answering it has subscribed everything else.
                health = _health(service.name, db)
                runtime.respond(health_route(service.health_subject), health)
                own = instance_health_subject(service.health_subject, settings.instance_id)
                runtime.respond(health_route(own), health, shared=False)
                await runtime.start()
                try:
                    yield runtime
                finally:
                    await runtime.drain()
    finally:
        await nc.drain()


def run_service(service: Service) -> None:
    """Entry point body of every service: JSON logs, metrics port, serve until SIGTERM."""
    configure_logging(service.name, service.settings.log_level)
    if service.settings.metrics_port is not None:
        start_http_server(service.settings.metrics_port)
    uvloop.run(_serve_until_signalled(service))


async def _serve_until_signalled(service: Service) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running(service):
        freeze_startup_objects()
        log.info("started")
        await stop.wait()
        log.info("stopping")
