"""The user's vendor account links as the hosted pages need them (the bridge holds the links).

The password typed on the hosted sign-in page goes to the bridge in one request and is never
stored by onboarding; the bridge signs in at the vendor and keeps what it needs, sealed.
"""

from __future__ import annotations

from pydantic import ValidationError

from evse_contracts.bridge import CLOUD_PROVIDERS, OCPP_PROVIDERS
from evse_contracts.vendor_accounts import (
    LinkState,
    LinkVendorAccount,
    ListVendorAccounts,
    VendorAccountLink,
)

from .bridge_port import VendorBridge
from .sessions import OnboardingSession

__all__ = [
    "MAKE_NAMES",
    "LinkRefused",
    "link_account",
    "link_state",
    "needs_link",
    "onboards_over_ocpp",
]

MAKE_NAMES = {
    "chargepoint": "ChargePoint",
    "easee": "Easee",
    "wallbox": "Wallbox",
    "zaptec": "Zaptec",
}


class LinkRefused(Exception):
    """The sign-in form cannot be sent as typed (empty or too long)."""


def needs_link(provider: str | None) -> bool:
    return provider in CLOUD_PROVIDERS


def onboards_over_ocpp(provider: str | None) -> bool:
    """EO, Enel X (JuiceBox) and SyncEV have no usable cloud API: their chargers speak OCPP."""
    return provider in OCPP_PROVIDERS


async def link_state(
    bridge: VendorBridge, session: OnboardingSession, provider: str, *, request_id: str
) -> LinkState | None:
    """The state of the session user's link at `provider`, or None if they never linked."""
    links = await bridge.vendor_accounts(
        ListVendorAccounts(
            application_uid=session.application_uid, user_uid=session.user_uid, provider=provider
        ),
        request_id=request_id,
    )
    return links.data[0].state if links.data else None


async def link_account(
    bridge: VendorBridge,
    session: OnboardingSession,
    provider: str,
    form: dict[str, str],
    *,
    request_id: str,
) -> VendorAccountLink:
    """Sign in at the vendor with the form's username and password; raises the bridge's
    problems (`vendor-credentials-rejected`, `provider-unavailable`, `provider-busy`)."""
    try:
        request = LinkVendorAccount(
            application_uid=session.application_uid,
            user_uid=session.user_uid,
            provider=provider,
            username=form.get("username", "").strip(),
            password=form.get("password", ""),
        )
    except ValidationError as exc:
        raise LinkRefused("Enter your username and password.") from exc
    return await bridge.link_vendor_account(request, request_id=request_id)
