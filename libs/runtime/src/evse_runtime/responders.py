"""Request/reply handlers on NATS: decode, call, reply with the envelope, log, count.

Plain nats-py rather than FastStream here: measured on the catalogue read path, FastStream's
per-message machinery (fast_depends, middleware stack, log context) cost ~100 µs per request,
more than the work itself; this costs a decode, a call and an encode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Any, Generic, TypeVar

import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from pydantic import BaseModel, ValidationError

from evse_contracts.bus import PRINCIPAL_HEADER, REQUEST_ID_HEADER, Route
from evse_contracts.problems import DomainError, InternalError

from .metrics import BUS_REQUEST_SECONDS, BUS_REQUESTS
from .replies import bad_request_problem, encode_ok, encode_problem
from .reply_memo import ReplyMemo

__all__ = ["Handler", "InFlight", "RequestContext", "Responder"]

RequestT = TypeVar("RequestT", bound=BaseModel)
ReplyT = TypeVar("ReplyT", bound=BaseModel)
log = structlog.get_logger("evse.bus")


@dataclass(frozen=True)
class RequestContext:
    """What a handler may need besides the request: who asked, and the id to log with."""

    request_id: str
    principal: str | None


Handler = Callable[[RequestT, RequestContext], Awaitable[ReplyT]]


@dataclass(frozen=True)
class Responder(Generic[RequestT, ReplyT]):
    route: Route[RequestT, ReplyT]
    handler: Handler[RequestT, ReplyT]
    nc: NatsClient
    shared: bool = True
    memo: ReplyMemo | None = None
    """Where `ok` replies are kept by subject and request bytes: only for a handler whose
    answer depends on the request alone (not on who asks) until the memo is cleared."""

    async def __call__(self, msg: Msg) -> None:
        headers = msg.headers or {}
        request_id = headers.get(REQUEST_ID_HEADER, "")
        subject = self.route.subject
        started = perf_counter()
        generation = None if self.memo is None else self.memo.generation
        with structlog.contextvars.bound_contextvars(request_id=request_id, subject=subject):
            context = RequestContext(request_id, headers.get(PRINCIPAL_HEADER))
            body, outcome = await self._reply_to(msg.data, context)
            if msg.reply:
                await self._send(msg.reply, body)
            self._handled(outcome, started)
        if self.memo is not None and generation is not None and outcome == "ok":
            self.memo.put(subject, msg.data, body, generation=generation)

    async def answer_held(self, msg: Msg) -> bool:
        """Answer `msg` with the reply its memo holds for the same request; False if none."""
        subject = self.route.subject
        reply = None if self.memo is None or not msg.reply else self.memo.get(subject, msg.data)
        if reply is None:
            return False
        started = perf_counter()
        await self._send(msg.reply, reply)
        request_id = (msg.headers or {}).get(REQUEST_ID_HEADER, "")
        self._handled("ok", started, request_id=request_id, subject=subject, held=True)
        return True

    def _handled(self, outcome: str, started: float, **fields: object) -> None:
        """Log and count one answered request (`fields`: what the log context lacks)."""
        elapsed = perf_counter() - started
        log.info("handled", outcome=outcome, latency_ms=round(elapsed * 1000, 3), **fields)
        BUS_REQUESTS.labels(self.route.subject, outcome).inc()
        BUS_REQUEST_SECONDS.labels(self.route.subject).observe(elapsed)

    async def _send(self, inbox: str, body: bytes) -> None:
        # Not `msg.respond()`: nats-py sends the request's headers back with the reply (the
        # request id and the caller's principal), which the asker parses and never reads.
        await self.nc.publish(inbox, body)

    async def _reply_to(self, data: bytes, context: RequestContext) -> tuple[bytes, str]:
        try:
            request = self.route.request.model_validate_json(data)
        except ValidationError as exc:
            log.warning("invalid bus request", errors=exc.errors(include_url=False))
            return encode_problem(bad_request_problem(exc)), "invalid-bus-request"
        try:
            result = await self.handler(request, context)
        except DomainError as exc:
            problem = exc.to_problem()  # a relayed problem keeps its own slug
            return encode_problem(problem), problem.slug
        except Exception:
            log.exception("handler failed")
            problem = InternalError("the service failed to handle the request").to_problem()
            return encode_problem(problem), problem.slug
        return encode_ok(result), "ok"


class InFlight:
    """Run each message as its own task, bounded, so drain can wait for all of them."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self, work: Awaitable[Any]) -> None:
        await self._slots.acquire()
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def wait(self, timeout_s: float) -> int:
        """Wait for running work; return how many tasks were still running at the timeout."""
        if not self._tasks:
            return 0
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        return len(pending)
