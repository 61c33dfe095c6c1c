"""One small function per bridge subject: parse → call the domain → reply."""

from __future__ import annotations

from evse_contracts.bridge import (
    BRIDGE_COMMANDS_SEND,
    BRIDGE_DEVICES_LOOKUP,
    BRIDGE_OCPP_CONFIGURATION_GET,
    BRIDGE_OCPP_CREDENTIALS_ISSUE,
    CommandAccepted,
    DeviceLookup,
    IssueOcppCredentials,
    LookupDevice,
    OcppConfiguration,
    OcppConfigurationRef,
    OcppCredentials,
    SendCommand,
)
from evse_contracts.vendor_accounts import (
    VENDOR_ACCOUNTS_GET,
    VENDOR_ACCOUNTS_LINK,
    VENDOR_ACCOUNTS_LIST,
    VENDOR_ACCOUNTS_UNLINK,
    LinkVendorAccount,
    ListVendorAccounts,
    VendorAccountLink,
    VendorAccountLinks,
    VendorAccountRef,
)
from evse_runtime.responders import RequestContext
from evse_runtime.service import Runtime

from .account_store import AccountStore
from .accounts import AccountDesk
from .adapters import Adapters
from .budget import budget_wait_limit
from .central_system.desk import OcppDesk
from .commands import CommandDesk
from .lookup import lookup_device
from .settings import BridgeSettings

__all__ = ["register_handlers"]


def register_handlers(
    runtime: Runtime,
    *,
    adapters: Adapters,
    accounts: AccountStore,
    desk: AccountDesk,
    commands: CommandDesk,
    ocpp: OcppDesk,
    settings: BridgeSettings,
) -> None:
    max_wait_s = settings.interactive_budget_wait_s

    async def lookup(request: LookupDevice, _: RequestContext) -> DeviceLookup:
        with budget_wait_limit(max_wait_s):
            return await lookup_device(adapters=adapters, accounts=accounts, request=request)

    async def send_command(request: SendCommand, _: RequestContext) -> CommandAccepted:
        with budget_wait_limit(max_wait_s):
            return await commands.send(request)

    async def issue_ocpp_credentials(
        request: IssueOcppCredentials, _: RequestContext
    ) -> OcppCredentials:
        return await ocpp.issue(request)

    async def ocpp_configuration(
        request: OcppConfigurationRef, _: RequestContext
    ) -> OcppConfiguration:
        return await ocpp.configuration(request)

    async def link(request: LinkVendorAccount, _: RequestContext) -> VendorAccountLink:
        with budget_wait_limit(max_wait_s):
            return await desk.link(request)

    async def list_links(request: ListVendorAccounts, _: RequestContext) -> VendorAccountLinks:
        return await desk.list_links(request)

    async def get_link(request: VendorAccountRef, _: RequestContext) -> VendorAccountLink:
        return await desk.get(request)

    async def unlink(request: VendorAccountRef, _: RequestContext) -> VendorAccountLink:
        return await desk.unlink(request)

    runtime.respond(BRIDGE_DEVICES_LOOKUP, lookup)
    runtime.respond(VENDOR_ACCOUNTS_LINK, link)
    runtime.respond(VENDOR_ACCOUNTS_LIST, list_links)
    runtime.respond(VENDOR_ACCOUNTS_GET, get_link)
    runtime.respond(VENDOR_ACCOUNTS_UNLINK, unlink)
    runtime.respond(BRIDGE_OCPP_CREDENTIALS_ISSUE, issue_ocpp_credentials)
    runtime.respond(BRIDGE_COMMANDS_SEND, send_command)
    runtime.respond(BRIDGE_OCPP_CONFIGURATION_GET, ocpp_configuration)
