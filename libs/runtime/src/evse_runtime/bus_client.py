"""Typed request/reply over NATS for callers of other services (gateway, service to service)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

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


class RemoteProblem(DomainError):
    """A problem another service replied with, passed on unchanged."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail, errors=problem.errors)
        self.problem = problem

    def to_problem(self) -> Problem:
        return self.problem


class BusClient:
    """Send a request on a route and return the typed `ok`, or raise the problem."""

    def __init__(self, nc: NatsClient, *, timeout_s: float) -> None:
        self._nc = nc
        self._timeout_s = timeout_s

    async def request(
        self,
        route: Route[RequestT, ReplyT],
        request: RequestT,
        *,
        request_id: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> ReplyT:
        """The reply's resource, validated against the route's reply model."""
        reply = route.parse_reply(await self._send(route, request, request_id, headers))
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
    ) -> bytes:
        """The reply's resource as the JSON the service serialised from its model, unparsed.

        For pass-through callers (the gateway): the service built those bytes from the
        route's reply model, so parsing and re-serialising them would only cost time.
        """
        data = await self._send(route, request, request_id, headers)
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
    ) -> bytes:
        all_headers = {REQUEST_ID_HEADER: request_id, **(headers or {})}
        payload = request.__pydantic_serializer__.to_json(request)
        try:
            msg = await self._nc.request(
                route.subject, payload, timeout=self._timeout_s, headers=all_headers
            )
        except NoRespondersError as exc:
            raise ServiceUnavailable(f"no {route.service} service is running") from exc
        except NatsTimeout as exc:
            raise ServiceUnavailable(
                f"the {route.service} service did not answer within {self._timeout_s:g} s"
            ) from exc
        data: bytes = msg.data
        return data

    async def ping(self, subject: str) -> bool:
        """Tell whether anyone answers `subject` within the timeout."""
        try:
            await self._nc.request(subject, b"{}", timeout=self._timeout_s)
        except (NoRespondersError, NatsTimeout):
            return False
        return True
