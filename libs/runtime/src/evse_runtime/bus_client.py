"""Typed request/reply over NATS for callers of other services (gateway, service to service).

An idempotent request (a read) is sent once more when nobody answers it within
`retry_after_s` or nobody is subscribed: a replica that died holding it must not fail it while
another replica is up. Both attempts together stay within `timeout_s`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import structlog
from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic import BaseModel

from evse_contracts.bus import REQUEST_ID_HEADER, Route
from evse_contracts.problems import DomainError, Problem, ServiceUnavailable

from .replies import ok_body

__all__ = ["BusClient", "RemoteProblem"]

RequestT = TypeVar("RequestT", bound=BaseModel)
ReplyT = TypeVar("ReplyT", bound=BaseModel)
log = structlog.get_logger("evse.bus")


class RemoteProblem(DomainError):
    """A problem another service replied with, passed on unchanged."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail, errors=problem.errors)
        self.problem = problem

    def to_problem(self) -> Problem:
        return self.problem


class BusClient:
    """Send a request on a route and return the typed `ok`, or raise the problem.

    `retry_after_s` (None: never retry) bounds the first attempt of an idempotent request.
    """

    def __init__(
        self, nc: NatsClient, *, timeout_s: float, retry_after_s: float | None = None
    ) -> None:
        self._nc = nc
        self._timeout_s = timeout_s
        self._first_attempt_s = (
            timeout_s if retry_after_s is None else min(retry_after_s, timeout_s)
        )

    async def request(
        self,
        route: Route[RequestT, ReplyT],
        request: RequestT,
        *,
        request_id: str = "",
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> ReplyT:
        """The reply's resource, validated against the route's reply model."""
        data = await self._send(route, request, request_id, headers, idempotent)
        reply = route.parse_reply(data)
        if reply.problem is not None:
            raise RemoteProblem(reply.problem)
        assert reply.ok is not None
        return reply.ok

    async def request_json(
        self,
        route: Route[RequestT, ReplyT],
        request: RequestT,
        *,
        request_id: str = "",
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> bytes:
        """The reply's resource as the JSON the service serialised from its model, unparsed.

        For pass-through callers (the gateway): the service built those bytes from the
        route's reply model, so parsing and re-serialising them would only cost time.
        """
        data = await self._send(route, request, request_id, headers, idempotent)
        body = ok_body(data)
        if body is not None:
            return body
        problem = route.parse_reply(data).problem
        assert problem is not None
        raise RemoteProblem(problem)

    async def _send(
        self,
        route: Route[RequestT, ReplyT],
        request: RequestT,
        request_id: str,
        headers: Mapping[str, str] | None,
        idempotent: bool,
    ) -> bytes:
        all_headers = {REQUEST_ID_HEADER: request_id, **(headers or {})}
        payload = request.__pydantic_serializer__.to_json(request)
        timeout_s = self._first_attempt_s if idempotent else self._timeout_s
        try:
            msg = await self._nc.request(
                route.subject, payload, timeout=timeout_s, headers=all_headers
            )
        except (NoRespondersError, NatsTimeout) as exc:
            if timeout_s >= self._timeout_s:
                raise self._unavailable(route, exc) from exc
            log.warning("retrying request", subject=route.subject, reason=type(exc).__name__)
            try:
                msg = await self._nc.request(
                    route.subject,
                    payload,
                    timeout=self._timeout_s - timeout_s,
                    headers=all_headers,
                )
            except (NoRespondersError, NatsTimeout) as again:
                raise self._unavailable(route, again) from again
        data: bytes = msg.data
        return data

    def _unavailable(self, route: Route[RequestT, ReplyT], exc: Exception) -> ServiceUnavailable:
        if isinstance(exc, NoRespondersError):
            return ServiceUnavailable(f"no {route.service} service is running")
        return ServiceUnavailable(
            f"the {route.service} service did not answer within {self._timeout_s:g} s"
        )

    async def ping(self, subject: str) -> bool:
        """Tell whether anyone answers `subject` within the timeout."""
        try:
            await self._nc.request(subject, b"{}", timeout=self._timeout_s)
        except (NoRespondersError, NatsTimeout):
            return False
        return True
