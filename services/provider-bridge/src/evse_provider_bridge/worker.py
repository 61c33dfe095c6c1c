"""What the poller and the command desk are both built from."""

from __future__ import annotations

from typing import TypedDict, Unpack

from .account_store import AccountStore, LinkedAccount
from .adapters import Adapters
from .adapters.base import ProviderAdapter
from .settings import BridgeSettings
from .store import LinkStore
from .telemetry_publisher import TelemetryPublisher

__all__ = ["BridgeWorker", "WorkerParts"]


class WorkerParts(TypedDict):
    store: LinkStore
    accounts: AccountStore
    adapters: Adapters
    publisher: TelemetryPublisher
    settings: BridgeSettings


class BridgeWorker:
    """Holds the links, the users' vendor accounts, the vendor adapters, the telemetry
    publisher and the settings."""

    def __init__(self, **parts: Unpack[WorkerParts]) -> None:
        self._store = parts["store"]
        self._accounts = parts["accounts"]
        self._adapters = parts["adapters"]
        self._publisher = parts["publisher"]
        self._settings = parts["settings"]

    async def _adapter_for(self, provider: str, vendor_account_uid: str) -> ProviderAdapter | None:
        """The adapter acting for a linked account; None if the link is broken or unlinked."""
        linked = await self._linked(provider, vendor_account_uid)
        return None if linked is None else linked[1]

    async def _linked(
        self, provider: str, vendor_account_uid: str
    ) -> tuple[LinkedAccount, ProviderAdapter] | None:
        """The linked account and its adapter; None if the link is broken or unlinked."""
        account = await self._accounts.get(vendor_account_uid)
        adapter = None if account is None else self._adapter_of(account)
        return None if account is None or adapter is None else (account, adapter)

    def _adapter_of(self, account: LinkedAccount) -> ProviderAdapter | None:
        """The adapter acting for `account`; None unless it is linked to a cloud vendor."""
        if account.state != "linked" or account.provider not in self._adapters:
            return None
        return self._adapters.for_account(account.provider, account.account)
