"""Vendor adapters behind one `ProviderAdapter` protocol, built once per bridge replica."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from evse_contracts.bridge import PROVIDERS

from ..budget import VendorBudget
from ..settings import BridgeSettings, VendorSettings
from .base import ProviderAdapter
from .chargepoint import ChargePointAdapter
from .directory import DeviceDirectory
from .easee import EaseeAdapter
from .enelx import EnelXAdapter
from .eo import EoAdapter
from .http import VendorClient
from .syncev import SyncEvAdapter
from .tokens import TokenVault
from .wallbox import WallboxAdapter
from .zaptec import ZaptecAdapter

__all__ = ["Adapters", "build_adapters"]

_CLASSES: dict[str, Callable[[VendorClient, VendorSettings, TokenVault], ProviderAdapter]] = {
    "chargepoint": ChargePointAdapter,
    "eo": EoAdapter,
    "syncev": SyncEvAdapter,
    "enelx": EnelXAdapter,
    "easee": EaseeAdapter,
    "wallbox": WallboxAdapter,
    "zaptec": ZaptecAdapter,
}


class Adapters:
    """Each provider's adapter and request budget, and the partner accounts' device lists."""

    def __init__(
        self,
        adapters: dict[str, ProviderAdapter],
        budgets: dict[str, VendorBudget],
        directory: DeviceDirectory,
    ):
        self.adapters = adapters
        self.budgets = budgets
        self.directory = directory

    def __getitem__(self, provider: str) -> ProviderAdapter:
        return self.adapters[provider]

    def __contains__(self, provider: object) -> bool:
        return provider in self.adapters


def build_adapters(
    settings: BridgeSettings, http: httpx.AsyncClient, vault: TokenVault
) -> Adapters:
    adapters: dict[str, ProviderAdapter] = {}
    budgets: dict[str, VendorBudget] = {}
    for provider in PROVIDERS:
        vendor = settings.vendor(provider)
        budgets[provider] = VendorBudget(
            requests=vendor.requests_per_period, period_s=vendor.budget_period_s
        )
        client = VendorClient(
            provider=provider, http=http, base_url=vendor.base_url, budget=budgets[provider]
        )
        adapters[provider] = _CLASSES[provider](client, vendor, vault)
    directory = DeviceDirectory(
        adapters,
        ttl_s=settings.device_list_ttl_s,
        min_refresh_s=settings.device_list_min_refresh_s,
    )
    return Adapters(adapters, budgets, directory)
