"""Catalogue domain errors; each becomes a problem with the slug the API documents."""

from __future__ import annotations

from evse_contracts import compatibility, waitlist
from evse_contracts.problems import FieldError, NotFound, ValidationFailed

__all__ = [
    "CompatibilityCheckInvalid",
    "EvseFirmwareVersionNotFound",
    "EvseMakeNotFound",
    "EvseModelNotFound",
    "ProgramNotFound",
    "WaitlistSignupInvalid",
]


class EvseMakeNotFound(NotFound):
    slug = "evse-make-not-found"
    title = "EVSE make not found"

    def __init__(self, uid: str) -> None:
        super().__init__(f"no EVSE make has uid {uid!r}")


class EvseModelNotFound(NotFound):
    slug = "evse-model-not-found"
    title = "EVSE model not found"

    def __init__(self, uid: str) -> None:
        super().__init__(f"no EVSE model has uid {uid!r}")


class EvseFirmwareVersionNotFound(NotFound):
    """Unknown, or not a production release (those are not published)."""

    slug = "evse-firmware-version-not-found"
    title = "EVSE firmware version not found"

    def __init__(self, uid: str) -> None:
        super().__init__(f"no production EVSE firmware version has uid {uid!r}")


class ProgramNotFound(NotFound):
    slug = "program-not-found"
    title = "Program not found"

    def __init__(self, uid: str) -> None:
        super().__init__(f"no program has uid {uid!r}")


def _summary(errors: tuple[FieldError, ...]) -> str:
    return "; ".join(f"{e.loc}: {e.msg}" for e in errors)


class CompatibilityCheckInvalid(ValidationFailed):
    slug = compatibility.VALIDATION_SLUG
    title = "Invalid EVSE compatibility check"

    def __init__(self, errors: tuple[FieldError, ...]) -> None:
        super().__init__(_summary(errors), errors=errors)


class WaitlistSignupInvalid(ValidationFailed):
    slug = waitlist.VALIDATION_SLUG
    title = "Invalid EVSE waitlist sign-up"

    def __init__(self, errors: tuple[FieldError, ...]) -> None:
        super().__init__(_summary(errors), errors=errors)
