"""Waitlist sign-ups: which device (picker or manual mode), for whom, and where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evse_contracts.problems import FieldError
from evse_contracts.telemetry import to_utc_millis
from evse_contracts.waitlist import EvseWaitlistEntry, EvseWaitlistSignup, JoinEvseWaitlist

from .compatibility import resolve_country
from .errors import WaitlistSignupInvalid
from .snapshot import CatalogueSnapshot

__all__ = ["NewWaitlistEntry", "plan_waitlist_entry"]


@dataclass(frozen=True)
class NewWaitlistEntry:
    entry: EvseWaitlistEntry
    device_key: str
    """What makes two sign-ups for one person the same device: the model uid, or the
    manual make and model names compared case- and whitespace-insensitively."""


def plan_waitlist_entry(
    request: JoinEvseWaitlist, catalogue: CatalogueSnapshot, *, uid: str, now: datetime
) -> NewWaitlistEntry:
    """Validate the sign-up against the catalogue and build the entry to store."""
    signup = request.signup
    errors = [*_mode_errors(signup), *_reference_errors(signup, catalogue)]
    if errors:
        raise WaitlistSignupInvalid(tuple(errors))
    program = None if signup.program_id is None else catalogue.get_program(signup.program_id)
    resolved = resolve_country(program=program, query=None, accept_language=request.accept_language)
    make_name, model_name = _clean(signup.evse_make_name), _clean(signup.evse_model_name)
    if signup.evse_model_id is not None:
        device_key = f"model:{signup.evse_model_id}"
    else:
        device_key = f"manual:{make_name.casefold()}\x1f{model_name.casefold()}"
    entry = EvseWaitlistEntry(
        uid=uid,
        email=signup.email.lower(),
        evse_model_id=signup.evse_model_id,
        evse_make_name=make_name or None,
        evse_model_name=model_name or None,
        program_id=signup.program_id,
        country=resolved.country,
        created_at=to_utc_millis(now),
    )
    return NewWaitlistEntry(entry, device_key)


def _mode_errors(signup: EvseWaitlistSignup) -> list[FieldError]:
    """Exactly one mode: `evse_model_id` alone, or both names non-blank."""
    make, model = signup.evse_make_name, signup.evse_model_name
    if signup.evse_model_id is not None:
        return [
            FieldError(loc=f"body.{name}", msg="must be omitted when evse_model_id is given")
            for name, value in (("evse_make_name", make), ("evse_model_name", model))
            if value is not None
        ]
    if make is None and model is None:
        return [
            FieldError(
                loc="body.evse_model_id",
                msg="give evse_model_id, or both evse_make_name and evse_model_name",
            )
        ]
    errors = []
    for name, value, other in (
        ("evse_make_name", make, "evse_model_name"),
        ("evse_model_name", model, "evse_make_name"),
    ):
        if value is None:
            errors.append(FieldError(loc=f"body.{name}", msg=f"required with {other}"))
        elif not value.strip():
            errors.append(FieldError(loc=f"body.{name}", msg="must not be blank"))
    return errors


def _reference_errors(signup: EvseWaitlistSignup, catalogue: CatalogueSnapshot) -> list[FieldError]:
    errors = []
    model_id, program_id = signup.evse_model_id, signup.program_id
    if model_id is not None and not catalogue.has_model(model_id):
        errors.append(
            FieldError(loc="body.evse_model_id", msg=f"no EVSE model has uid {model_id!r}")
        )
    if program_id is not None and not catalogue.has_program(program_id):
        errors.append(FieldError(loc="body.program_id", msg=f"no program has uid {program_id!r}"))
    return errors


def _clean(name: str | None) -> str:
    """The name with runs of whitespace collapsed: how it is stored and compared."""
    return " ".join((name or "").split())
