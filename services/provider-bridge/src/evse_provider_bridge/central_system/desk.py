"""The central system's bus-facing work: issue credentials, forward commands, revoke.

Any replica answers `bridge.commands.send`; for an OCPP charger it forwards the command to
`bridge.ocpp.<charge_point_id>.call`, which only the replica holding the socket answers.
Nobody answering means the charger is not connected: `evse-offline` (409).
"""

from __future__ import annotations

import structlog
from nats.aio.client import Client as NatsClient

from evse_contracts.bridge import (
    CommandAccepted,
    IssueOcppCredentials,
    OcppConfiguration,
    OcppConfigurationRef,
    OcppCredentials,
    SendCommand,
    ocpp_call_subject,
    ocpp_takeover_subject,
)
from evse_contracts.bus import Route
from evse_contracts.problems import ServiceUnavailable
from evse_runtime.bus_client import BusClient

from ..clock import Clock, utc_now
from ..errors import ChargePointIdTaken, EvseOffline
from .passwords import hash_password, new_password
from .store import ChargePointIdClash, OcppCharger, OcppStore

__all__ = ["OcppDesk"]

log = structlog.get_logger("evse.bridge.ocpp")


class OcppDesk:
    def __init__(
        self,
        *,
        nc: NatsClient,
        store: OcppStore,
        public_url: str,
        timeout_s: float,
        clock: Clock = utc_now,
    ) -> None:
        self._nc = nc
        self._clock = clock
        self._store = store
        self._public_url = public_url.rstrip("/")
        self._bus = BusClient(nc, timeout_s=timeout_s)

    async def issue(self, request: IssueOcppCredentials) -> OcppCredentials:
        """A new password for the charger; the previous one (and its socket) stop working."""
        password = new_password()
        issued_at = self._clock()
        charger = OcppCharger(
            charge_point_id=request.charge_point_id,
            evse_uid=request.evse_uid,
            application_uid=request.application_uid,
            password_hash=hash_password(password),
            issued_at=issued_at,
        )
        try:
            await self._store.issue(charger)
        except ChargePointIdClash as exc:
            raise ChargePointIdTaken(request.charge_point_id) from exc
        await self._nc.publish(ocpp_takeover_subject(request.charge_point_id), b"reissued")
        log.info("ocpp credentials issued", evse_uid=request.evse_uid)
        return OcppCredentials(
            url=f"{self._public_url}/{request.charge_point_id}",
            charge_point_id=request.charge_point_id,
            password=password,
            issued_at=issued_at,
        )

    async def find(self, evse_uid: str) -> OcppCharger | None:
        return await self._store.find_by_evse(evse_uid)

    async def configuration(self, request: OcppConfigurationRef) -> OcppConfiguration:
        keys, at = await self._store.configuration(request.evse_uid)
        return OcppConfiguration(keys=keys, reported_at=at)

    async def send(self, charger: OcppCharger, request: SendCommand) -> CommandAccepted:
        route = Route(ocpp_call_subject(charger.charge_point_id), SendCommand, CommandAccepted)
        try:
            return await self._bus.request(route, request)
        except ServiceUnavailable as exc:
            raise EvseOffline(request.evse_uid) from exc

    async def revoke(self, evse_uid: str) -> None:
        """Forget the EVSE's credentials and close its socket wherever it is held."""
        for charge_point_id in await self._store.revoke(evse_uid):
            await self._nc.publish(ocpp_takeover_subject(charge_point_id), b"revoked")
            log.info("ocpp credentials revoked", evse_uid=evse_uid)
