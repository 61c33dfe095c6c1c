"""Bus conventions: the reply envelope, routes (subject + request + reply) and headers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, model_validator

from .base import Contract
from .problems import Problem

__all__ = [
    "DEADLETTER_REASON_HEADER",
    "DEADLETTER_SUBJECT_HEADER",
    "PRINCIPAL_HEADER",
    "REQUEST_ID_HEADER",
    "Empty",
    "Health",
    "Reply",
    "Route",
    "deadletter_subject",
    "health_route",
]

REQUEST_ID_HEADER = "x-request-id"
PRINCIPAL_HEADER = "x-principal"
DEADLETTER_REASON_HEADER = "x-deadletter-reason"
DEADLETTER_SUBJECT_HEADER = "x-deadletter-subject"


def deadletter_subject(stream: str) -> str:
    """Where a consumer copies messages of `stream` that can never be processed."""
    return f"deadletter.{stream}"


ReplyT = TypeVar("ReplyT", bound=BaseModel)
RequestT_co = TypeVar("RequestT_co", bound=BaseModel, covariant=True)
ReplyT_co = TypeVar("ReplyT_co", bound=BaseModel, covariant=True)


class Reply(BaseModel, Generic[ReplyT]):
    """The envelope of every bus reply: exactly one of `ok` or `problem`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: ReplyT | None = None
    problem: Problem | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Reply[ReplyT]:
        if (self.ok is None) == (self.problem is None):
            raise ValueError("a reply carries exactly one of 'ok' or 'problem'")
        return self


class Empty(Contract):
    """A request or reply with no fields."""


class Health(Contract):
    service: str
    status: str = "ok"


@dataclass(frozen=True)
class Route(Generic[RequestT_co, ReplyT_co]):
    """One request/reply subject with the models that may travel on it."""

    subject: str
    request: type[RequestT_co]
    reply: type[ReplyT_co]
    _reply_adapter: TypeAdapter[Reply[Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_reply_adapter", TypeAdapter(Reply[self.reply]))  # type: ignore[name-defined]

    @property
    def service(self) -> str:
        return self.subject.split(".", 1)[0]

    def parse_reply(self, data: bytes) -> Reply[ReplyT_co]:
        """Validate raw reply bytes against this route's envelope."""
        reply: Reply[ReplyT_co] = self._reply_adapter.validate_json(data)
        return reply


def health_route(subject: str) -> Route[Empty, Health]:
    return Route(subject, Empty, Health)
