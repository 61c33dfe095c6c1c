"""Find a charger shared with the partner account by serial, and check its owner."""

from __future__ import annotations

from evse_contracts.bridge import DeviceLookup, LookupDevice

from .adapters import Adapters
from .adapters.base import DeviceRef, VendorDevice
from .adapters.errors import VendorBudgetSpent, VendorError
from .errors import (
    DeviceNotFound,
    DeviceOwnerMismatch,
    ProviderBusy,
    ProviderUnavailable,
    UnsupportedProvider,
)
from .model_map import MAKES, evse_model_uid

__all__ = ["find_device", "lookup_device"]


async def find_device(adapters: Adapters, provider: str, serial_number: str) -> VendorDevice:
    """The partner account's charger with this serial, or a domain error."""
    if provider not in adapters:
        raise UnsupportedProvider(provider)
    try:
        device = await adapters.directory.find(provider, serial_number)
    except VendorBudgetSpent as exc:
        raise ProviderBusy(provider) from exc
    except VendorError as exc:
        raise ProviderUnavailable(provider, str(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderUnavailable(provider, f"unexpected response shape ({exc!r})") from exc
    if device is None:
        raise DeviceNotFound(provider, serial_number)
    return device


async def lookup_device(*, adapters: Adapters, request: LookupDevice) -> DeviceLookup:
    device = await find_device(adapters, request.provider, request.serial_number)
    if (device.owner_email or "").casefold() != request.owner_email.casefold():
        raise DeviceOwnerMismatch(request.provider, request.serial_number)
    firmware = device.firmware_version
    if firmware is None:
        try:
            status = await adapters[request.provider].read_status(
                DeviceRef(device.device_id, device.context)
            )
        except (VendorError, KeyError, TypeError, ValueError):
            status = None
        firmware = None if status is None else status.firmware_version
    return DeviceLookup(
        provider=request.provider,
        serial_number=device.serial_number,
        vendor_device_id=device.device_id,
        evse_make=MAKES[request.provider],
        vendor_model=device.vendor_model,
        evse_model_uid=evse_model_uid(request.provider, device.vendor_model),
        firmware_version=firmware,
    )
