"""The reply envelope on the wire: `{"ok": resource}` or `{"problem": problem}`."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from evse_contracts.bus import Reply
from evse_contracts.problems import FieldError, Problem

__all__ = ["bad_request_problem", "encode_ok", "encode_problem", "ok_body"]

_OK_PREFIX = b'{"ok":'


def encode_ok(resource: BaseModel) -> bytes:
    """Serialise `{"ok": resource}` without re-validating the resource."""
    return _OK_PREFIX + resource.__pydantic_serializer__.to_json(resource) + b"}"


def ok_body(reply: bytes) -> bytes | None:
    """The resource JSON inside an `encode_ok` reply, unparsed; None for any other reply."""
    if reply.startswith(_OK_PREFIX) and reply.endswith(b"}"):
        return reply[len(_OK_PREFIX) : -1]
    return None


def encode_problem(problem: Problem) -> bytes:
    return Reply[BaseModel](problem=problem).model_dump_json(exclude_none=True).encode()


def bad_request_problem(exc: ValidationError) -> Problem:
    """The problem for a bus request that does not match its subject's contract."""
    errors = FieldError.all_from(exc.errors(include_url=False))
    return Problem(
        slug="invalid-bus-request",
        title="Invalid bus request",
        status=400,
        detail="the request does not match the subject's contract",
        errors=errors,
    )
