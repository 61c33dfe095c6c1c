"""Problems (RFC 9457) on the bus, and the domain errors that become them.

Services raise a `DomainError` subclass; the service runtime turns it into a `Problem`
reply; the gateway renders that problem as `application/problem+json`. The slug is the
stable part of the problem `type` URI, and the status travels with it, so the gateway
never guesses a status code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pydantic import Field

from .base import Contract

__all__ = [
    "DomainError",
    "FieldError",
    "InternalError",
    "InvalidCursor",
    "NotFound",
    "Problem",
    "ProblemDocument",
    "ServiceUnavailable",
    "Unauthorized",
    "ValidationFailed",
]


class FieldError(Contract):
    """One invalid input: where it is (`query.country`, `body.email`) and what is wrong."""

    loc: str
    msg: str
    type: str = "value_error"

    @classmethod
    def all_from(cls, errors: Iterable[Mapping[str, Any]]) -> tuple[FieldError, ...]:
        """One per pydantic error (`ValidationError.errors()`), its location dotted."""
        return tuple(
            cls(loc=".".join(str(p) for p in err["loc"]), msg=err["msg"], type=err["type"])
            for err in errors
        )


class Problem(Contract):
    """A problem as it travels on the bus: the gateway adds `type` URI and `instance`."""

    slug: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    errors: tuple[FieldError, ...] = ()
    link_url: str | None = Field(
        None, description="Where to send the user's browser to resolve the problem."
    )


class DomainError(Exception):
    """Base of every error a service or the gateway reports to clients as a problem."""

    slug: ClassVar[str] = "internal-error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(
        self, detail: str, *, errors: tuple[FieldError, ...] = (), link_url: str | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.link_url = link_url

    def to_problem(self) -> Problem:
        return Problem(
            slug=self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=self.errors,
            link_url=self.link_url,
        )


class InternalError(DomainError):
    slug = "internal-error"
    status = 500
    title = "Internal error"


class NotFound(DomainError):
    """A resource that does not exist, or that the caller may not see."""

    slug = "not-found"
    status = 404
    title = "Not found"


class ValidationFailed(DomainError):
    """Input that does not satisfy the contract; `errors` lists each field."""

    slug = "validation-failed"
    status = 400
    title = "Validation failed"


class InvalidCursor(DomainError):
    slug = "invalid-cursor"
    status = 400
    title = "Invalid pagination cursor"


class Unauthorized(DomainError):
    """No caller, or one that cannot be verified: the gateway's missing or bad bearer token,
    a service's request without a verified principal."""

    slug = "unauthorized"
    status = 401
    title = "Unauthorized"


class ServiceUnavailable(DomainError):
    slug = "service-unavailable"
    status = 503
    title = "Service unavailable"


class ProblemDocument(Contract):
    """RFC 9457 problem details as the gateway returns them (`application/problem+json`)."""

    type: str = Field(description="URI of the problem type; its last segment is a stable slug.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The request path that caused the problem.")
    request_id: str = Field(description="Quote it when reporting the problem.")
    errors: tuple[FieldError, ...] = ()
    link_url: str | None = Field(
        None,
        description="Only on some problems (`vendor-account-not-linked`): the hosted page to "
        "send the user's browser to; it comes back to the application's redirect URL.",
    )
