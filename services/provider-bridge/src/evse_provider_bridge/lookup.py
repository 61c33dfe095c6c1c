"""Find a charger by serial in the user's own linked account at the vendor.

Ownership is the vendor's answer, not ours: the account lists only chargers it may control,
and the same serial in another user's account is simply not there (the same 404 whether or
not another tenant onboarded it).
"""

from __future__ import annotations

from evse_contracts.bridge import CLOUD_PROVIDERS, DeviceLookup, LookupDevice

from .account_store import AccountStore, LinkedAccount
from .adapters import Adapters
from .adapters.base import VendorDevice
from .adapters.errors import VendorBudgetSpent, VendorError
from .adapters.payloads import SHAPE_ERRORS
from .errors import (
    DeviceNotFound,
    ProviderBusy,
    ProviderUnavailable,
    UnsupportedProvider,
    VendorAccountNotLinked,
)
from .model_map import MAKES, evse_model_uid

__all__ = ["find_device", "linked_account", "lookup_device"]


async def linked_account(
    accounts: AccountStore, application_uid: str, user_uid: str, provider: str
) -> LinkedAccount:
    """The user's working link at `provider`, or `VendorAccountNotLinked`."""
    if provider not in CLOUD_PROVIDERS:
        raise UnsupportedProvider(provider)
    account = await accounts.find(application_uid, user_uid, provider)
    if account is None or account.state != "linked":
        raise VendorAccountNotLinked(
            provider, broken=account is not None and account.state == "broken"
        )
    return account


async def find_device(
    adapters: Adapters, account: LinkedAccount, serial_number: str
) -> VendorDevice:
    """The account's charger with this serial, or a domain error."""
    provider = account.provider
    try:
        device = await adapters.directory.find(provider, account.account, serial_number)
    except VendorBudgetSpent as exc:
        raise ProviderBusy(provider) from exc
    except VendorError as exc:
        raise ProviderUnavailable(provider, str(exc)) from exc
    except SHAPE_ERRORS as exc:
        raise ProviderUnavailable(provider, f"unexpected response shape ({exc!r})") from exc
    if device is None:
        raise DeviceNotFound(provider, serial_number, account.username)
    return device


async def lookup_device(
    *, adapters: Adapters, accounts: AccountStore, request: LookupDevice
) -> DeviceLookup:
    account = await linked_account(
        accounts, request.application_uid, request.user_uid, request.provider
    )
    device = await find_device(adapters, account, request.serial_number)
    return DeviceLookup(
        provider=request.provider,
        vendor_account_uid=account.uid,
        serial_number=device.serial_number,
        vendor_device_id=device.device_id,
        evse_make=MAKES[request.provider],
        vendor_model=device.vendor_model,
        evse_model_uid=evse_model_uid(request.provider, device.vendor_model),
    )
