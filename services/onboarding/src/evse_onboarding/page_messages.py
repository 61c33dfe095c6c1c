"""What a hosted page tells a person when a step fails: plain words and a next step, never
an API problem's `detail`."""

from __future__ import annotations

from evse_contracts.problems import DomainError

__all__ = ["SERIAL_MAX_LENGTH", "serial_error"]

SERIAL_MAX_LENGTH = 100

_BY_SLUG = {
    "device-not-found": "We could not find a charger with that serial number in your {make} "
    "account. Check the number on the label, and that the charger is in the {make} account "
    "you signed in with.",
    "evse-already-onboarded": "This charger is already connected to an account. If it is "
    "yours, remove it there first, then try again.",
    "vendor-account-not-linked": "We could not reach your {make} account. Sign in to {make} "
    "again, then enter the serial number.",
    "vendor-credentials-rejected": "{make} no longer accepts the sign-in you gave us. Sign in "
    "to {make} again, then enter the serial number.",
    "provider-busy": "{make} is busy right now. Nothing was saved; try again in a minute.",
    "provider-unavailable": "{make} is not answering right now. Nothing was saved; try again "
    "in a minute.",
    "service-unavailable": "We could not finish this right now. Nothing was saved; try again "
    "in a minute.",
    "validation-failed": "That does not look like a serial number. Use the letters and digits "
    "printed on the label.",
}
_OTHERWISE = (
    "We could not connect this charger. Check the serial number and try again, or choose "
    "another model."
)


def serial_error(error: DomainError, *, make: str) -> str:
    """The sentence the serial page shows for `error`."""
    return _BY_SLUG.get(error.slug, _OTHERWISE).format(make=make)
