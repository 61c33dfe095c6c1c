"""Vendor account links: a user's own account at a cloud vendor, linked through hosted pages.

The bridge signs in at the vendor with what the user typed, keeps what the vendor gives back
(session and refresh tokens, and the password where the vendor's API offers nothing longer
lived) sealed at rest, and polls the user's chargers through that account. A link is
`linked`, `broken` (the vendor refused the account, e.g. the password was changed; `reason`
says why; its EVSEs are not polled) or `unlinked` (the user removed it; credentials erased).
Relinking the same user's account at the same vendor reuses the link: its EVSEs are polled
again, none is created. Problems: `vendor-credentials-rejected` (422),
`vendor-account-not-found` (404), `provider-unavailable` (502), `provider-busy` (503).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Contract, UtcDateTime
from .bus import Route

__all__ = [
    "EVSE_LINK_BROKEN",
    "EVSE_LINK_RESTORED",
    "VENDOR_ACCOUNTS_GET",
    "VENDOR_ACCOUNTS_LINK",
    "VENDOR_ACCOUNTS_LIST",
    "VENDOR_ACCOUNTS_UNLINK",
    "EvseLinkBroken",
    "EvseLinkRestored",
    "LinkBrokenReason",
    "LinkState",
    "LinkVendorAccount",
    "ListVendorAccounts",
    "VendorAccountLink",
    "VendorAccountLinks",
    "VendorAccountRef",
]

LinkState = Literal["linked", "broken", "unlinked"]
LinkBrokenReason = Literal["credentials_rejected", "charger_not_in_account", "account_unlinked"]

EVSE_LINK_BROKEN = "evses.events.link_broken"
EVSE_LINK_RESTORED = "evses.events.link_restored"


class LinkVendorAccount(Contract):
    """What the user typed on the hosted sign-in page, for their account at `provider`."""

    application_uid: str = Field(min_length=1, max_length=64)
    user_uid: str = Field(min_length=1, max_length=64)
    provider: str = Field(min_length=1, max_length=40)
    username: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=500, repr=False)


class VendorAccountRef(Contract):
    application_uid: str = Field(min_length=1, max_length=64)
    user_uid: str = Field(min_length=1, max_length=64)
    vendor_account_uid: str = Field(min_length=1, max_length=64)


class ListVendorAccounts(Contract):
    application_uid: str = Field(min_length=1, max_length=64)
    user_uid: str = Field(min_length=1, max_length=64)
    provider: str | None = Field(None, max_length=40)


class VendorAccountLink(Contract):
    """`GET /v2/vendor_accounts/{vendor_account_uid}`: one link and its health."""

    uid: str = Field(description="The link's id (`vacct…`); stays the same across relinks.")
    provider: str
    username: str = Field(description="The account's login at the vendor, as the user typed it.")
    state: LinkState
    reason: LinkBrokenReason | None = Field(None, description="Why a link is `broken`.")
    evse_uids: tuple[str, ...] = Field((), description="EVSEs linked through this account.")
    linked_at: UtcDateTime
    updated_at: UtcDateTime


class VendorAccountLinks(Contract):
    data: tuple[VendorAccountLink, ...]


class EvseLinkBroken(Contract):
    """The EVSE's vendor link stopped working; it is not polled until the user relinks."""

    evse_uid: str
    application_uid: str
    user_uid: str | None
    provider: str
    vendor_account_uid: str
    reason: LinkBrokenReason
    occurred_at: UtcDateTime


class EvseLinkRestored(Contract):
    """The user relinked the account: the EVSE is polled again."""

    evse_uid: str
    application_uid: str
    user_uid: str | None
    provider: str
    vendor_account_uid: str
    occurred_at: UtcDateTime


VENDOR_ACCOUNTS_LINK = Route("bridge.vendor_accounts.link", LinkVendorAccount, VendorAccountLink)
VENDOR_ACCOUNTS_LIST = Route("bridge.vendor_accounts.list", ListVendorAccounts, VendorAccountLinks)
VENDOR_ACCOUNTS_GET = Route("bridge.vendor_accounts.get", VendorAccountRef, VendorAccountLink)
VENDOR_ACCOUNTS_UNLINK = Route("bridge.vendor_accounts.unlink", VendorAccountRef, VendorAccountLink)
