"""Keep each EVSE's vendor link health (`Evse.vendor_link`) from the bridge's link events."""

from __future__ import annotations

from nats.aio.msg import Msg
from pydantic import ValidationError

from evse_contracts.vendor_accounts import (
    EVSE_LINK_BROKEN,
    EVSE_LINK_RESTORED,
    EvseLinkBroken,
    EvseLinkRestored,
)
from evse_runtime.consumers import Poison

from .registry_store import RegistryStore

__all__ = ["LinkHealthHandler"]


class LinkHealthHandler:
    def __init__(self, evses: RegistryStore) -> None:
        self._evses = evses

    async def __call__(self, msg: Msg) -> None:
        try:
            if msg.subject == EVSE_LINK_BROKEN:
                broken = EvseLinkBroken.model_validate_json(msg.data)
                await self._evses.set_vendor_link(
                    broken.evse_uid, "broken", broken.reason, at=broken.occurred_at
                )
            elif msg.subject == EVSE_LINK_RESTORED:
                restored = EvseLinkRestored.model_validate_json(msg.data)
                await self._evses.set_vendor_link(
                    restored.evse_uid, "linked", None, at=restored.occurred_at
                )
        except ValidationError as exc:
            raise Poison(f"invalid {msg.subject} event: {exc.error_count()} errors") from exc
