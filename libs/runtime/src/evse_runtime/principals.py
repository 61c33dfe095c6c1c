"""The caller of a bus request, as the gateway verified it."""

from __future__ import annotations

from pydantic import ValidationError

from evse_contracts.auth import Principal
from evse_contracts.problems import Unauthorized

from .responders import RequestContext

__all__ = ["caller"]


def caller(ctx: RequestContext) -> Principal:
    """The verified principal of this request; services refuse owned data to anyone else."""
    if ctx.principal is None:
        raise Unauthorized("this request carries no verified caller")
    try:
        return Principal.model_validate_json(ctx.principal)
    except ValidationError as exc:
        raise Unauthorized("the request's caller is malformed") from exc
