"""Start and stop polling on `evses.events.onboarded` / `decommissioned`; a decommissioned
OCPP charger loses its credentials and its socket. An onboarded cloud charger is polled
through its user's linked account at the vendor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from nats.aio.msg import Msg
from pydantic import ValidationError

from evse_contracts.evses import (
    EVSE_DECOMMISSIONED,
    EVSE_ONBOARDED,
    EvseDecommissioned,
    EvseOnboarded,
)
from evse_contracts.problems import DomainError
from evse_runtime.consumers import Poison

from .account_store import AccountStore
from .adapters import Adapters
from .central_system.desk import OcppDesk
from .clock import Clock, utc_now
from .link_store import LinkStore
from .links import ProviderLink
from .lookup import find_device, linked_account

__all__ = ["LifecycleHandler"]

log = structlog.get_logger("evse.bridge.lifecycle")


class LifecycleHandler:
    def __init__(
        self,
        *,
        links: LinkStore,
        accounts: AccountStore,
        adapters: Adapters,
        ocpp: OcppDesk,
        on_linked: Callable[[str, str], Awaitable[None]],
        clock: Clock = utc_now,
    ) -> None:
        self._links = links
        self._clock = clock
        self._accounts = accounts
        self._adapters = adapters
        self._ocpp = ocpp
        self._on_linked = on_linked

    async def __call__(self, msg: Msg) -> None:
        try:
            if msg.subject == EVSE_ONBOARDED:
                await self.onboarded(EvseOnboarded.model_validate_json(msg.data))
            elif msg.subject == EVSE_DECOMMISSIONED:
                await self.decommissioned(EvseDecommissioned.model_validate_json(msg.data))
        except ValidationError as exc:
            raise Poison(f"invalid {msg.subject} event: {exc.error_count()} errors") from exc

    async def onboarded(self, event: EvseOnboarded) -> None:
        """Link the EVSE to its vendor device in the user's account and poll it now."""
        if event.provider is None or event.provider not in self._adapters or not event.user_uid:
            return
        try:
            account = await linked_account(
                self._accounts, event.application_uid, event.user_uid, event.provider
            )
            device = await find_device(self._adapters, account, event.serial_number)
        except DomainError as exc:
            log.warning("onboarded EVSE not linked", evse_uid=event.evse_uid, reason=exc.slug)
            return
        link = ProviderLink(
            evse_uid=event.evse_uid,
            provider=event.provider,
            vendor_device_id=device.device_id,
            serial_number=device.serial_number,
            vendor_account_uid=account.uid,
            application_uid=event.application_uid,
            user_uid=event.user_uid,
            context=device.context,
        )
        await self._links.upsert_link(link, first_poll_at=self._clock())
        await self._on_linked(event.provider, account.uid)
        log.info("linked", evse_uid=event.evse_uid, provider=event.provider)

    async def decommissioned(self, event: EvseDecommissioned) -> None:
        await self._links.remove_link(event.evse_uid)
        await self._ocpp.revoke(event.evse_uid)
        log.info("unlinked", evse_uid=event.evse_uid)
