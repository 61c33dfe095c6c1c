"""Who is calling: the verified token claims the gateway forwards in `x-principal`."""

from __future__ import annotations

from typing import Literal

from .base import Contract

__all__ = ["TOKEN_AUDIENCE", "Principal"]

TOKEN_AUDIENCE = "evse-api"


class Principal(Contract):
    """An application, or one of its users acting through it."""

    kind: Literal["application", "user"]
    application_uid: str
    user_uid: str | None = None
    scopes: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        """The uid the token speaks for: the user's, else the application's."""
        return self.user_uid or self.application_uid
