"""Base classes and field types shared by every contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

__all__ = ["Contract", "UtcDateTime", "to_utc"]


def to_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC so equal instants compare and store equal."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # Near year 1 or 9999 an offset moves the instant out of range: bad input, not a crash.
        raise ValueError("the date and time is out of range in UTC") from None


UtcDateTime = Annotated[AwareDatetime, AfterValidator(to_utc)]
"""A timezone-aware instant, normalised to UTC and serialised as ISO 8601 with `Z`."""


class Contract(BaseModel):
    """Frozen model that rejects unknown fields: the base of every message."""

    model_config = ConfigDict(frozen=True, extra="forbid")
