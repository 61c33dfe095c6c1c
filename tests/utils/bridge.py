"""What bridge tests share: a telemetry tap, simulator controls, an in-memory token vault."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from evse_contracts.evses import (
    EVSE_DECOMMISSIONED,
    EVSE_ONBOARDED,
    EvseDecommissioned,
    EvseOnboarded,
)
from evse_contracts.ids import new_uid
from evse_contracts.telemetry import CommandLog, ErrorLog, StatusLog, TelemetryEvent
from evse_contracts.vendor_accounts import VENDOR_ACCOUNTS_LINK, LinkVendorAccount
from evse_runtime.bus_client import BusClient
from evse_vendor_simulator.seed import SeedCharger, owner_account
from tests.utils.services import running_simulator

__all__ = [
    "LinkedUser",
    "Simulator",
    "TelemetryTap",
    "decommission",
    "link_owner",
    "nats_client",
    "onboard",
    "simulator",
    "telemetry_tap",
]

_MODELS: dict[str, type[StatusLog] | type[CommandLog] | type[ErrorLog]] = {
    "status": StatusLog,
    "command": CommandLog,
    "error": ErrorLog,
}


class TelemetryTap:
    """Every telemetry event published while the tap is open, parsed."""

    def __init__(self) -> None:
        self.events: list[TelemetryEvent] = []

    async def receive(self, msg: Msg) -> None:
        kind = msg.subject.split(".")[2]
        if kind in _MODELS:
            self.events.append(_MODELS[kind].model_validate_json(msg.data))

    def statuses(self, evse_uid: str | None = None) -> list[StatusLog]:
        return [
            e for e in self.events if isinstance(e, StatusLog) and evse_uid in (None, e.evse_uid)
        ]

    def commands(self, evse_uid: str | None = None) -> list[CommandLog]:
        return [
            e for e in self.events if isinstance(e, CommandLog) and evse_uid in (None, e.evse_uid)
        ]

    def errors(self, evse_uid: str | None = None) -> list[ErrorLog]:
        return [
            e for e in self.events if isinstance(e, ErrorLog) and evse_uid in (None, e.evse_uid)
        ]


@asynccontextmanager
async def telemetry_tap(nats_url: str) -> AsyncIterator[TelemetryTap]:
    tap = TelemetryTap()
    nc = await nats.connect(nats_url)
    try:
        await nc.subscribe("telemetry.events.>", cb=tap.receive)
        yield tap
    finally:
        await nc.drain()


class Simulator:
    """The simulator's `/_sim` control API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._http = httpx.AsyncClient(base_url=base_url, timeout=30)

    async def close(self) -> None:
        await self._http.aclose()

    async def pin(self, serial_number: str, state: str | None) -> None:
        response = await self._http.put(
            f"/_sim/chargers/{serial_number}/state", json={"state": state}
        )
        response.raise_for_status()

    async def faults(self, vendor: str, **switch: Any) -> None:
        response = await self._http.put(f"/_sim/vendors/{vendor}/faults", json=switch)
        response.raise_for_status()

    async def change_password(self, vendor: str, username: str, password: str) -> None:
        response = await self._http.put(
            f"/_sim/vendors/{vendor}/accounts/{username}/password", json={"password": password}
        )
        response.raise_for_status()

    async def calls(self, vendor: str) -> list[dict[str, Any]]:
        response = await self._http.get("/_sim/calls", params={"vendor": vendor})
        calls: list[dict[str, Any]] = response.json()
        return calls


@asynccontextmanager
async def simulator(**settings: object) -> AsyncIterator[Simulator]:
    """A running vendor simulator and its control API."""
    async with running_simulator(**settings) as base_url:
        controls = Simulator(base_url)
        try:
            yield controls
        finally:
            await controls.close()


@asynccontextmanager
async def nats_client(nats_url: str) -> AsyncIterator[NatsClient]:
    client = await nats.connect(nats_url)
    try:
        yield client
    finally:
        await client.drain()


@dataclass(frozen=True)
class LinkedUser:
    """A platform user whose account at one vendor is linked."""

    application_uid: str
    user_uid: str
    vendor_account_uid: str


async def link_owner(
    nc: NatsClient,
    charger: SeedCharger,
    *,
    password: str | None = None,
    application_uid: str | None = None,
    user_uid: str | None = None,
) -> LinkedUser:
    """Link the seeded account owning `charger` for a platform user (a fresh one unless
    given), over the bus."""
    account = owner_account(charger)
    application_uid = application_uid or new_uid("app")
    user_uid = user_uid or new_uid("user")
    link = await BusClient(nc, timeout_s=30).request(
        VENDOR_ACCOUNTS_LINK,
        LinkVendorAccount(
            application_uid=application_uid,
            user_uid=user_uid,
            provider=charger.vendor,
            username=account.username,
            password=password or account.password,
        ),
    )
    return LinkedUser(application_uid, user_uid, link.uid)


async def onboard(
    js: JetStreamContext, provider: str, serial_number: str, user: LinkedUser | None = None
) -> str:
    """Publish an `EvseOnboarded` event as onboarding would; return the new EVSE's uid."""
    evse_uid = new_uid("evse")
    event = EvseOnboarded(
        evse_uid=evse_uid,
        evse_id=1,
        application_uid=new_uid("app") if user is None else user.application_uid,
        user_uid=new_uid("user") if user is None else user.user_uid,
        evse_model_uid="evsemodel01M89P5M0S3BEHQV5PCC4F0QXC",
        provider=provider,
        serial_number=serial_number,
        occurred_at=datetime.now(UTC),
    )
    await js.publish(EVSE_ONBOARDED, event.model_dump_json().encode())
    return evse_uid


async def decommission(js: JetStreamContext, evse_uid: str) -> None:
    event = EvseDecommissioned(
        evse_uid=evse_uid, evse_id=1, application_uid=new_uid("app"), occurred_at=datetime.now(UTC)
    )
    await js.publish(EVSE_DECOMMISSIONED, event.model_dump_json().encode())
