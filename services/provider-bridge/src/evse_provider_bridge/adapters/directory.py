"""Each user account's device list, kept a short while so repeated imports do not re-list it.

Listing an account costs one call per page and, for some vendors, one per device
(ChargePoint and Wallbox: 1 + N). Without a cache every import (and every retry or double
submit) spends that much of the vendor's request budget. A serial missing from a fresh list
triggers one refresh (a charger added since), at most one per `min_refresh_s` per account;
concurrent lookups share the refresh in flight (`evse_runtime.single_flight`). Per replica, in
memory: a stale entry only delays a newly added charger by `min_refresh_s`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from evse_runtime.lru import LruCache
from evse_runtime.single_flight import SingleFlight

from .base import ProviderAdapter, VendorAccount, VendorDevice

__all__ = ["MAX_LISTINGS", "DeviceDirectory", "same_serial"]

MAX_LISTINGS = 10_000
"""Accounts whose listing a replica keeps; the least recently listed is dropped first."""


def same_serial(a: str, b: str) -> bool:
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()


def _match(devices: Sequence[VendorDevice], serial_number: str) -> VendorDevice | None:
    return next((d for d in devices if same_serial(d.serial_number, serial_number)), None)


@dataclass(frozen=True)
class _Listing:
    devices: Sequence[VendorDevice]
    fetched_at: float = field(default_factory=time.monotonic)

    @property
    def age_s(self) -> float:
        return time.monotonic() - self.fetched_at


class DeviceDirectory:
    def __init__(
        self,
        bind: Callable[[str, VendorAccount], ProviderAdapter],
        *,
        ttl_s: float,
        min_refresh_s: float,
    ) -> None:
        self._bind = bind
        self._ttl_s = ttl_s
        self._min_refresh_s = min_refresh_s
        self._listings: LruCache[tuple[str, str], _Listing] = LruCache(max_size=MAX_LISTINGS)
        self._refreshing: SingleFlight[tuple[str, str], _Listing] = SingleFlight()

    def forget(self, provider: str, account_key: str) -> None:
        self._listings.pop((provider, account_key))
        self._refreshing.forget((provider, account_key))

    async def find(
        self, provider: str, account: VendorAccount, serial_number: str
    ) -> VendorDevice | None:
        """The account's device with this serial, or None; vendor errors propagate."""
        key = (provider, account.key)
        listing = self._listings.get(key)
        if listing is not None and listing.age_s < self._ttl_s:
            found = _match(listing.devices, serial_number)
            if found is not None or listing.age_s < self._min_refresh_s:
                return found
        listing = await self._refreshing.run(key, lambda: self._refresh(provider, account))
        return _match(listing.devices, serial_number)

    async def _refresh(self, provider: str, account: VendorAccount) -> _Listing:
        listing = _Listing(await self._bind(provider, account).list_devices())
        self._listings.put((provider, account.key), listing)
        return listing
