"""Turn what a request handler returns or raises into the reply envelope, and log it."""

from __future__ import annotations

from time import perf_counter
from typing import Any

import structlog
from faststream import BaseMiddleware
from faststream.message import StreamMessage
from pydantic import BaseModel, ValidationError

from evse_contracts.bus import REQUEST_ID_HEADER, Reply
from evse_contracts.problems import DomainError, FieldError, InternalError, Problem

__all__ = ["ReplyMiddleware", "encode_ok", "encode_problem"]

log = structlog.get_logger("evse.bus")


def encode_ok(resource: BaseModel) -> bytes:
    """Serialise `{"ok": resource}` without re-validating the resource."""
    return b'{"ok":' + resource.__pydantic_serializer__.to_json(resource) + b"}"


def encode_problem(problem: Problem) -> bytes:
    return Reply[BaseModel](problem=problem).model_dump_json(exclude_none=True).encode()


def _bad_request(exc: ValidationError) -> Problem:
    errors = tuple(
        FieldError(loc=".".join(str(p) for p in err["loc"]), msg=err["msg"], type=err["type"])
        for err in exc.errors(include_url=False)
    )
    return Problem(
        slug="invalid-bus-request",
        title="Invalid bus request",
        status=400,
        detail="the request does not match the subject's contract",
        errors=errors,
    )


class ReplyMiddleware(BaseMiddleware):
    """Request/reply subjects only: wrap results as `{"ok"}`, errors as `{"problem"}`.

    One log line per message with the request id taken from the NATS headers, so a
    request can be followed from the gateway through every service it touched.
    """

    async def consume_scope(self, call_next: Any, msg: StreamMessage[Any]) -> Any:
        request_id = msg.headers.get(REQUEST_ID_HEADER, "")
        subject = getattr(msg.raw_message, "subject", "")
        started = perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id, subject=subject):
            reply, outcome = await self._handle(call_next, msg)
            log.info(
                "handled",
                outcome=outcome,
                latency_ms=round((perf_counter() - started) * 1000, 3),
            )
        return reply

    @staticmethod
    async def _handle(call_next: Any, msg: StreamMessage[Any]) -> tuple[bytes, str]:
        try:
            result = await call_next(msg)
        except DomainError as exc:
            return encode_problem(exc.to_problem()), exc.slug
        except ValidationError as exc:
            log.warning("invalid bus request", errors=exc.errors(include_url=False))
            return encode_problem(_bad_request(exc)), "invalid-bus-request"
        except Exception:
            log.exception("handler failed")
            problem = InternalError("the service failed to handle the request").to_problem()
            return encode_problem(problem), problem.slug
        return encode_ok(result), "ok"
