"""Import a charger by provider and serial number: vendor lookup, registry entry, event.

Cloud vendors: the bridge looks the serial up in the user's own linked account there. EO,
Enel X and SyncEV have no usable cloud API: their charger is enrolled as an OCPP 1.6J
charger of the make's first OCPP model (the user sees its connection settings next).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evse_contracts.bridge import CLOUD_PROVIDERS, OCPP_PROVIDERS, LookupDevice
from evse_contracts.catalogue import EvseMakeSummary, EvseModel
from evse_contracts.evses import EVSE_ONBOARDED, EvseModelSummary, EvseOnboarded
from evse_contracts.ids import new_uid

from .bridge_port import VendorBridge
from .catalogue_port import CatalogueReader
from .errors import DeviceAlreadyImported, EvseAlreadyOnboarded, EvseModelNotSupported
from .evse_record import EvseRecord
from .identity import User
from .outbox import EventOutbox, outbox_entry
from .registry_store import RegistryStore

__all__ = ["Importer"]


@dataclass(frozen=True)
class Importer:
    evses: RegistryStore
    outbox: EventOutbox
    catalogue: CatalogueReader
    bridge: VendorBridge

    async def import_serial(
        self, *, user: User, provider: str, serial_number: str, request_id: str, now: datetime
    ) -> tuple[EvseRecord, bool]:
        """The user's EVSE for this device, and whether this call created it.

        Importing again for the same user returns the existing EVSE. A cloud charger is
        looked up in the user's own vendor account before the registry is asked whether
        another user has it (review L4): a charger not in that account gets the vendor's
        "not found" whether or not anyone onboarded it, so import reveals nothing of other
        tenants' chargers; one that is in the account but another user's is a conflict.
        """
        onboarded = await self.evses.find_active_device(provider, serial_number)
        if onboarded is not None and onboarded.user_uid == user.uid:
            return onboarded, False
        if provider in OCPP_PROVIDERS:
            if onboarded is not None:
                raise EvseAlreadyOnboarded(provider, serial_number)
            model = await self._ocpp_model(provider, request_id)
            return await self._enrol_once(user, model, provider, serial_number, None, now=now)
        lookup = await self.bridge.lookup_device(
            LookupDevice(
                provider=provider,
                serial_number=serial_number,
                application_uid=user.application_uid,
                user_uid=user.uid,
            ),
            request_id=request_id,
        )
        if lookup.serial_number == serial_number:  # read already: no second registry read
            existing = self._owned(user, onboarded, provider, serial_number)
        else:
            existing = await self._existing(user, provider, lookup.serial_number)
        if existing is not None:
            return existing, False
        if lookup.evse_model_uid is None:
            raise EvseModelNotSupported(
                f"the {lookup.evse_make} {lookup.vendor_model} is not in the catalogue yet"
            )
        model = await self.catalogue.model(lookup.evse_model_uid, request_id=request_id)
        return await self._enrol_once(
            user,
            model,
            provider,
            lookup.serial_number,
            lookup.vendor_device_id,
            now=now,
        )

    async def _enrol_once(
        self,
        user: User,
        model: EvseModel,
        provider: str,
        serial_number: str,
        vendor_device_id: str | None,
        *,
        now: datetime,
    ) -> tuple[EvseRecord, bool]:
        """Enrol the device, or return the user's EVSE when a concurrent import of theirs
        enrolled it first: found by the serial that collided (the vendor's spelling, which is
        what is stored), not the one the user typed."""
        try:
            record = await self.enrol(
                user=user,
                model=model,
                provider=provider,
                serial_number=serial_number,
                vendor_device_id=vendor_device_id,
                now=now,
            )
        except DeviceAlreadyImported:
            raced = await self._existing(user, provider, serial_number)
            if raced is None:
                raise
            return raced, False
        return record, True

    async def enrol(
        self,
        *,
        user: User,
        model: EvseModel,
        provider: str | None,
        serial_number: str,
        vendor_device_id: str | None,
        now: datetime,
    ) -> EvseRecord:
        """Add the user's EVSE to the registry and announce it (`evses.events.onboarded`)."""
        uid = new_uid("evse")
        evse_id = await self.evses.next_evse_id()
        event = EvseOnboarded(
            evse_uid=uid,
            evse_id=evse_id,
            application_uid=user.application_uid,
            user_uid=user.uid,
            evse_model_uid=model.uid,
            provider=provider,
            serial_number=serial_number,
            vendor_device_id=vendor_device_id,
            occurred_at=now,
        )
        record = EvseRecord(
            uid=uid,
            evse_id=evse_id,
            application_uid=user.application_uid,
            user_uid=user.uid,
            evse_make=EvseMakeSummary(uid=model.evse_make.uid, name=model.evse_make.name),
            evse_model=EvseModelSummary(uid=model.uid, name=model.name),
            onboarding_method=model.onboarding_method,
            provider=provider,
            serial_number=serial_number,
            vendor_device_id=vendor_device_id,
            state="active",
            onboarded_at=now,
            vendor_link_state="linked" if provider in CLOUD_PROVIDERS else None,
            outbox=(outbox_entry(f"onboarded:{uid}", EVSE_ONBOARDED, event),),
        )
        await self.evses.insert(record)
        await self.outbox.flush_soon(record)
        return record

    async def _ocpp_model(self, provider: str, request_id: str) -> EvseModel:
        models = await self.catalogue.models(request_id=request_id, onboarding_method="ocpp")
        found = next((m for m in models if m.provider == provider), None)
        if found is None:
            raise EvseModelNotSupported(f"no {provider} model is in the catalogue yet")
        return found

    async def _existing(self, user: User, provider: str, serial: str) -> EvseRecord | None:
        return self._owned(
            user, await self.evses.find_active_device(provider, serial), provider, serial
        )

    @staticmethod
    def _owned(
        user: User, record: EvseRecord | None, provider: str, serial: str
    ) -> EvseRecord | None:
        """The user's own active EVSE for the device, None if nobody has it; another user's
        is a conflict."""
        if record is None:
            return None
        if record.user_uid != user.uid:
            raise EvseAlreadyOnboarded(provider, serial)
        return record
