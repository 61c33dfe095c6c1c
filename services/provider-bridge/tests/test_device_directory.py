"""`DeviceDirectory`: concurrent lookups of one account share one listing, a vendor error
reaches each of them, and a lookup given up on does not cancel the listing for the others."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from evse_provider_bridge.adapters.base import ProviderAdapter, VendorAccount, VendorDevice
from evse_provider_bridge.adapters.directory import DeviceDirectory

ACCOUNT = VendorAccount(key="link_1")
DEVICE = VendorDevice(device_id="d1", serial_number="EH 101001", vendor_model="Easee Home")


class Vendor:
    """Lists `DEVICE` once `answer` is set (or fails while `failing`), counting listings."""

    def __init__(self) -> None:
        self.listings = 0
        self.answer = asyncio.Event()
        self.failing = False

    async def list_devices(self) -> list[VendorDevice]:
        self.listings += 1
        await self.answer.wait()
        if self.failing:
            raise ConnectionError("vendor down")
        return [DEVICE]


def directory_of(vendor: Vendor) -> DeviceDirectory:
    return DeviceDirectory(lambda *_: cast(ProviderAdapter, vendor), ttl_s=60, min_refresh_s=5)


async def lookups(
    directory: DeviceDirectory, count: int
) -> list[asyncio.Task[VendorDevice | None]]:
    tasks = [
        asyncio.create_task(directory.find("easee", ACCOUNT, "eh101001")) for _ in range(count)
    ]
    for _ in range(3):
        await asyncio.sleep(0)
    return tasks


async def test_concurrent_lookups_of_one_account_share_one_listing() -> None:
    vendor = Vendor()
    directory = directory_of(vendor)
    waiting = await lookups(directory, 8)
    vendor.answer.set()
    assert await asyncio.gather(*waiting) == [DEVICE] * 8
    assert await directory.find("easee", ACCOUNT, "EH101001") == DEVICE
    assert vendor.listings == 1


async def test_a_vendor_error_reaches_every_waiting_lookup_and_the_next_one_lists_again() -> None:
    vendor = Vendor()
    vendor.failing = True
    directory = directory_of(vendor)
    waiting = await lookups(directory, 3)
    vendor.answer.set()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert [type(outcome) for outcome in outcomes] == [ConnectionError] * 3
    assert vendor.listings == 1
    vendor.failing = False
    assert await directory.find("easee", ACCOUNT, "EH101001") == DEVICE
    assert vendor.listings == 2


async def test_a_lookup_given_up_on_does_not_cancel_the_listing_for_the_others() -> None:
    vendor = Vendor()
    directory = directory_of(vendor)
    first, second = await lookups(directory, 2)
    first.cancel()
    await asyncio.sleep(0)
    vendor.answer.set()
    assert await second == DEVICE
    assert vendor.listings == 1
    with pytest.raises(asyncio.CancelledError):
        await first
