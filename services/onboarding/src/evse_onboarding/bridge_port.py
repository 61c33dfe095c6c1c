"""What onboarding asks the provider bridge: vendor devices, account links, OCPP credentials.

A port, so the flow and the importer hold no bus client; `bus_ports.BridgeOverBus` answers
it with the bridge's request/reply subjects. The bridge's problems (`device-not-found`,
`vendor-account-not-linked`, `vendor-credentials-rejected`, …) arrive as `DomainError`s.
"""

from __future__ import annotations

from typing import Protocol

from evse_contracts.bridge import (
    CommandAccepted,
    DeviceLookup,
    IssueOcppCredentials,
    LookupDevice,
    OcppCredentials,
    SendCommand,
)
from evse_contracts.vendor_accounts import (
    LinkVendorAccount,
    ListVendorAccounts,
    VendorAccountLink,
    VendorAccountLinks,
)

__all__ = ["VendorBridge"]


class VendorBridge(Protocol):
    async def lookup_device(self, lookup: LookupDevice, *, request_id: str) -> DeviceLookup:
        """The device with this serial in the user's own account at the vendor."""
        ...

    async def issue_ocpp_credentials(
        self, issue: IssueOcppCredentials, *, request_id: str
    ) -> OcppCredentials:
        """Enrol (or rotate) the charger's HTTP Basic password; the bridge keeps only a hash."""
        ...

    async def vendor_accounts(
        self, query: ListVendorAccounts, *, request_id: str
    ) -> VendorAccountLinks: ...

    async def link_vendor_account(
        self, link: LinkVendorAccount, *, request_id: str
    ) -> VendorAccountLink:
        """Sign in at the vendor once: never retried, so a wrong password is not tried twice."""
        ...

    async def send_command(self, command: SendCommand, *, request_id: str) -> CommandAccepted: ...
