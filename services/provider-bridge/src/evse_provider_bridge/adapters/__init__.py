"""Vendor adapters behind one `ProviderAdapter` protocol, each acting for one user's account.

`Adapters.for_account(provider, account)` gives the adapter of one vendor account link (kept
while its credentials stay the same, so its token stays in memory); its calls count against the
vendor's budget for that account (or for the deployment's address), shared by every replica.
Only the four vendors with a cloud API people use have adapters (`CLOUD_PROVIDERS`); EO,
Enel X and SyncEV chargers speak OCPP.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from nats.js.kv import KeyValue

from evse_contracts.bridge import CLOUD_PROVIDERS
from evse_runtime.lru import LruCache

from ..budget import VendorBudget
from ..settings import BridgeSettings, VendorSettings
from .base import ProviderAdapter, VendorAccount, VendorPush
from .chargepoint import ChargePointAdapter
from .directory import DeviceDirectory
from .easee import EaseeAdapter
from .http import VendorClient
from .tokens import TokenVault
from .wallbox import WallboxAdapter
from .zaptec import ZaptecAdapter

__all__ = ["Adapters", "build_adapters"]

AdapterClass = Callable[[VendorClient, VendorSettings, TokenVault, VendorAccount], ProviderAdapter]
_CLASSES: dict[str, type[ChargePointAdapter | EaseeAdapter | WallboxAdapter | ZaptecAdapter]] = {
    "chargepoint": ChargePointAdapter,
    "easee": EaseeAdapter,
    "wallbox": WallboxAdapter,
    "zaptec": ZaptecAdapter,
}
MAX_BOUND_ACCOUNTS = 10_000
"""Adapters kept in memory per replica; the least recently used one is rebuilt on demand."""


class Adapters:
    """Each cloud vendor's client and request budget; adapters bound to user accounts."""

    def __init__(
        self,
        clients: dict[str, VendorClient],
        settings: dict[str, VendorSettings],
        budgets: dict[str, VendorBudget],
        vault: TokenVault,
        *,
        ttl_s: float,
        min_refresh_s: float,
    ) -> None:
        self._clients = clients
        self._settings = settings
        self.budgets = budgets
        self._vault = vault
        self._bound: LruCache[tuple[str, str], tuple[VendorAccount, ProviderAdapter]] = LruCache(
            max_size=MAX_BOUND_ACCOUNTS
        )
        self.directory = DeviceDirectory(self.for_account, ttl_s=ttl_s, min_refresh_s=min_refresh_s)

    def __contains__(self, provider: object) -> bool:
        return provider in self._clients

    def for_account(self, provider: str, account: VendorAccount) -> ProviderAdapter:
        """The provider's adapter acting for `account` (the same one while it is unchanged)."""
        key = (provider, account.key)
        bound = self._bound.get(key)
        if bound is not None and bound[0] == account:
            return bound[1]
        adapter: ProviderAdapter = _CLASSES[provider](
            self._clients[provider].for_account(account.credential("username") or account.key),
            self._settings[provider],
            self._vault,
            account,
        )
        self._bound.put(key, (account, adapter))
        return adapter

    def forget(self, provider: str, account_key: str) -> None:
        """Drop the account's adapter and listing (after unlink or relink)."""
        self._bound.pop((provider, account_key))
        self.directory.forget(provider, account_key)

    def read_push(self, provider: str, payload: bytes) -> VendorPush:
        return _CLASSES[provider].read_push(payload)


def build_adapters(
    settings: BridgeSettings,
    http: httpx.AsyncClient,
    vault: TokenVault,
    budgets_kv: KeyValue | None = None,
) -> Adapters:
    clients: dict[str, VendorClient] = {}
    vendors: dict[str, VendorSettings] = {}
    budgets: dict[str, VendorBudget] = {}
    for provider in CLOUD_PROVIDERS:
        vendor = vendors[provider] = settings.vendor(provider)
        budgets[provider] = VendorBudget(
            provider=provider,
            requests=vendor.requests_per_period,
            period_s=vendor.budget_period_s,
            kv=budgets_kv,
            namespace=settings.budget_namespace,
        )
        clients[provider] = VendorClient(
            provider=provider, http=http, base_url=vendor.base_url, budget=budgets[provider]
        )
    return Adapters(
        clients,
        vendors,
        budgets,
        vault,
        ttl_s=settings.device_list_ttl_s,
        min_refresh_s=settings.device_list_min_refresh_s,
    )
