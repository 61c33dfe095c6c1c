"""The catalogue and bridge ports answered over NATS request/reply (wired in `app.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evse_contracts.bridge import (
    BRIDGE_COMMANDS_SEND,
    BRIDGE_DEVICES_LOOKUP,
    BRIDGE_OCPP_CREDENTIALS_ISSUE,
    CommandAccepted,
    DeviceLookup,
    IssueOcppCredentials,
    LookupDevice,
    OcppCredentials,
    SendCommand,
)
from evse_contracts.catalogue import (
    EVSE_MAKES_GET,
    EVSE_MAKES_LIST,
    EVSE_MODELS_GET,
    EVSE_MODELS_LIST,
    EvseMake,
    EvseModel,
    GetEvseMake,
    GetEvseModel,
    ListEvseMakes,
    ListEvseModels,
    OnboardingMethod,
)
from evse_contracts.compatibility import (
    EVSE_COMPATIBILITY_CHECK,
    CheckEvseCompatibility,
    EvseCompatibility,
)
from evse_contracts.pagination import MAX_LIMIT
from evse_contracts.vendor_accounts import (
    VENDOR_ACCOUNTS_LINK,
    VENDOR_ACCOUNTS_LIST,
    LinkVendorAccount,
    ListVendorAccounts,
    VendorAccountLink,
    VendorAccountLinks,
)
from evse_contracts.waitlist import EVSE_WAITLIST_JOIN, JoinEvseWaitlist, WaitlistJoined
from evse_runtime.bus_client import BusClient

__all__ = ["BridgeOverBus", "CatalogueOverBus"]


@dataclass(frozen=True)
class CatalogueOverBus:
    """`CatalogueReader` over the catalogue's subjects."""

    bus: BusClient

    async def make(self, uid: str, *, request_id: str) -> EvseMake:
        return await self.bus.request(EVSE_MAKES_GET, GetEvseMake(uid=uid), request_id=request_id)

    async def makes(self, *, request_id: str) -> Sequence[EvseMake]:
        page = await self.bus.request(
            EVSE_MAKES_LIST, ListEvseMakes(limit=MAX_LIMIT), request_id=request_id
        )
        return page.results

    async def model(self, uid: str, *, request_id: str) -> EvseModel:
        return await self.bus.request(EVSE_MODELS_GET, GetEvseModel(uid=uid), request_id=request_id)

    async def models(
        self,
        *,
        request_id: str,
        evse_make_id: str | None = None,
        onboarding_method: OnboardingMethod | None = None,
    ) -> Sequence[EvseModel]:
        query = ListEvseModels(
            limit=MAX_LIMIT, evse_make_id=evse_make_id, onboarding_method=onboarding_method
        )
        page = await self.bus.request(EVSE_MODELS_LIST, query, request_id=request_id)
        return page.results

    async def compatibility(
        self, check: CheckEvseCompatibility, *, request_id: str
    ) -> EvseCompatibility:
        return await self.bus.request(EVSE_COMPATIBILITY_CHECK, check, request_id=request_id)

    async def join_waitlist(self, join: JoinEvseWaitlist, *, request_id: str) -> WaitlistJoined:
        return await self.bus.request(EVSE_WAITLIST_JOIN, join, request_id=request_id)


@dataclass(frozen=True)
class BridgeOverBus:
    """`VendorBridge` over the provider bridge's subjects."""

    bus: BusClient

    async def lookup_device(self, lookup: LookupDevice, *, request_id: str) -> DeviceLookup:
        return await self.bus.request(BRIDGE_DEVICES_LOOKUP, lookup, request_id=request_id)

    async def issue_ocpp_credentials(
        self, issue: IssueOcppCredentials, *, request_id: str
    ) -> OcppCredentials:
        return await self.bus.request(BRIDGE_OCPP_CREDENTIALS_ISSUE, issue, request_id=request_id)

    async def vendor_accounts(
        self, query: ListVendorAccounts, *, request_id: str
    ) -> VendorAccountLinks:
        return await self.bus.request(VENDOR_ACCOUNTS_LIST, query, request_id=request_id)

    async def link_vendor_account(
        self, link: LinkVendorAccount, *, request_id: str
    ) -> VendorAccountLink:
        # Never retried: one sign-in per submit, so a wrong password is not tried again in a loop.
        return await self.bus.request(
            VENDOR_ACCOUNTS_LINK, link, request_id=request_id, idempotent=False
        )

    async def send_command(self, command: SendCommand, *, request_id: str) -> CommandAccepted:
        return await self.bus.request(BRIDGE_COMMANDS_SEND, command, request_id=request_id)
