"""Simulated OCPP 1.6J charge points, built on the `ocpp` package's client side.

Over 300 lines: one charge point's behaviour (boot, status, heartbeats, meter values,
sessions, remote commands) and its command line; they read as one piece.

Importable (tests, `ocpp_connections.py`) and runnable against a running bridge:

    python bench/ocpp_chargers.py --nats nats://127.0.0.1:4222 --count 5 --session

enrols COUNT chargers through `bridge.ocpp.credentials.issue` (fake EVSE uids), connects them
to the URL the bridge returns, boots, reports status, heartbeats and sends meter values
(`--heartbeat-s`, `--meter-s`), and with `--session` runs one charging session each.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nats
import structlog
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import (
    Action,
    AvailabilityStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    ChargingProfileStatus,
    RemoteStartStopStatus,
    ResetStatus,
)
from websockets.asyncio.client import ClientConnection, connect

from evse_contracts.bridge import (
    BRIDGE_OCPP_CREDENTIALS_ISSUE,
    IssueOcppCredentials,
    OcppCredentials,
)
from evse_contracts.ids import new_uid
from evse_runtime.bus_client import BusClient

__all__ = ["SimulatedCharger", "connected_charger", "enrol"]

log = structlog.get_logger("bench.ocpp_chargers")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Meter:
    energy_wh: int = 1_000_000
    power_w: float = 0.0
    transaction_id: int | None = None


class RecordingConnection:
    """The charger's side of the socket, remembering every frame: ("sent"|"received", raw)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[tuple[str, str]] = []

    async def recv(self) -> str:
        raw = str(await self.ws.recv())
        self.frames.append(("received", raw))
        return raw

    async def send(self, raw: str) -> None:
        self.frames.append(("sent", raw))
        await self.ws.send(raw)


CONFIGURATION = {
    "SupportedFeatureProfiles": "Core,FirmwareManagement,SmartCharging",
    "ChargingScheduleAllowedChargingRateUnit": "Current",
    "MeterValuesSampledData": "Energy.Active.Import.Register,Power.Active.Import",
    "ChargeProfileMaxStackLevel": "8",
}
"""What the simulated charger reports in `GetConfiguration` (OCPP 1.6J section 9.1)."""


class SimulatedCharger(ChargePoint):  # type: ignore[misc]
    """One charge point: answers the central system's calls, and sends its own."""

    def __init__(self, charge_point_id: str, ws: ClientConnection) -> None:
        self.connection = RecordingConnection(ws)
        super().__init__(charge_point_id, self.connection, response_timeout=30)
        self.meter = Meter()
        self.received: list[str] = []
        self.remote_stopped = asyncio.Event()
        self._background: set[asyncio.Task[Any]] = set()

    async def boot(self) -> Any:
        return await self.call(
            call.BootNotification(
                charge_point_model="SimCharger 7",
                charge_point_vendor="SimVendor",
                firmware_version="1.4.2",
            )
        )

    async def heartbeat(self) -> Any:
        return await self.call(call.Heartbeat())

    async def status(self, status: ChargePointStatus, connector_id: int = 1) -> Any:
        return await self.call(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=ChargePointErrorCode.no_error,
                status=status,
                timestamp=_now(),
            )
        )

    async def meter_values(self) -> Any:
        samples = [
            {"value": str(self.meter.energy_wh), "measurand": "Energy.Active.Import.Register"},
            {"value": f"{self.meter.power_w:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
            {"value": "16", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
        ]
        return await self.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=self.meter.transaction_id,
                meter_value=[{"timestamp": _now(), "sampled_value": samples}],
            )
        )

    async def start_session(self, id_tag: str = "SIMTAG") -> int:
        await self.call(call.Authorize(id_tag=id_tag))
        await self.status(ChargePointStatus.preparing)
        result = await self.call(
            call.StartTransaction(
                connector_id=1, id_tag=id_tag, meter_start=self.meter.energy_wh, timestamp=_now()
            )
        )
        self.meter.transaction_id = int(result.transaction_id)
        self.meter.power_w = 7200.0
        await self.status(ChargePointStatus.charging)
        self.meter.energy_wh += 1500
        await self.meter_values()
        return self.meter.transaction_id

    async def stop_session(self, reason: str = "Local") -> None:
        if self.meter.transaction_id is None:
            return
        await self.call(
            call.StopTransaction(
                meter_stop=self.meter.energy_wh,
                timestamp=_now(),
                transaction_id=self.meter.transaction_id,
                reason=reason,
            )
        )
        self.meter.transaction_id = None
        self.meter.power_w = 0.0
        await self.status(ChargePointStatus.finishing)
        await self.status(ChargePointStatus.available)

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag: str, **_: Any) -> Any:
        self.received.append("RemoteStartTransaction")
        self._later(self.start_session(id_tag))
        return call_result.RemoteStartTransaction(status=RemoteStartStopStatus.accepted)

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id: int) -> Any:
        self.received.append("RemoteStopTransaction")
        if transaction_id != self.meter.transaction_id:
            return call_result.RemoteStopTransaction(status=RemoteStartStopStatus.rejected)
        self._later(self._stop_remotely())
        return call_result.RemoteStopTransaction(status=RemoteStartStopStatus.accepted)

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: Any) -> Any:
        self.received.append("SetChargingProfile")
        return call_result.SetChargingProfile(status=ChargingProfileStatus.accepted)

    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        """A three-phase 32 A wallbox with the Smart Charging profile, metering power and energy."""
        known = [
            {"key": name, "readonly": True, "value": value}
            for name, value in CONFIGURATION.items()
            if not key or name in key
        ]
        unknown = [name for name in key or [] if name not in CONFIGURATION]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.reset)
    def on_reset(self, type: str) -> Any:
        self.received.append("Reset")
        return call_result.Reset(status=ResetStatus.accepted)

    @on(Action.change_availability)
    def on_change_availability(self, connector_id: int, type: str) -> Any:
        self.received.append("ChangeAvailability")
        return call_result.ChangeAvailability(status=AvailabilityStatus.accepted)

    async def _stop_remotely(self) -> None:
        await self.stop_session("Remote")
        self.remote_stopped.set()

    def _later(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@contextlib.asynccontextmanager
async def connected_charger(
    url: str, charge_point_id: str, password: str, *, subprotocol: str = "ocpp1.6"
) -> AsyncIterator[SimulatedCharger]:
    """A charger connected to `url` (the central system URL with the id) for the block."""
    async with connect(
        url,
        subprotocols=[subprotocol],  # type: ignore[list-item]
        additional_headers={"Authorization": basic_auth(charge_point_id, password)},
        ping_interval=None,
        open_timeout=60,
    ) as ws:
        charger = SimulatedCharger(charge_point_id, ws)
        listening = asyncio.create_task(charger.start())
        try:
            yield charger
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listening


async def enrol(bus: BusClient, *, evse_uid: str | None = None) -> OcppCredentials:
    """Credentials for a new charger (an EVSE uid of its own unless one is given)."""
    uid = evse_uid or new_uid("evse")
    request = IssueOcppCredentials(
        evse_uid=uid, application_uid="app-sim", charge_point_id=f"CP-{uid[-12:]}"
    )
    return await bus.request(BRIDGE_OCPP_CREDENTIALS_ISSUE, request)


@dataclass(frozen=True)
class Options:
    heartbeat_s: float
    meter_s: float
    session: bool


async def drive(credentials: OcppCredentials, options: Options) -> None:
    """Boot, report status, then heartbeat and send meter values until cancelled."""
    async with connected_charger(
        credentials.url, credentials.charge_point_id, credentials.password
    ) as charger:
        await charger.boot()
        await charger.status(ChargePointStatus.available)
        if options.session:
            await charger.start_session()
        loop = asyncio.get_running_loop()
        next_heartbeat = loop.time() + options.heartbeat_s
        next_meter = loop.time() + options.meter_s
        while True:
            await asyncio.sleep(max(0.0, min(next_heartbeat, next_meter) - loop.time()))
            if loop.time() >= next_heartbeat:
                await charger.heartbeat()
                next_heartbeat += options.heartbeat_s
            if loop.time() >= next_meter:
                charger.meter.energy_wh += int(charger.meter.power_w * options.meter_s / 3600)
                await charger.meter_values()
                next_meter += options.meter_s


async def main(args: argparse.Namespace) -> None:
    nc = await nats.connect(args.nats)
    bus = BusClient(nc, timeout_s=10)
    try:
        chargers = [await enrol(bus) for _ in range(args.count)]
        options = Options(args.heartbeat_s, args.meter_s, args.session)
        for credentials in chargers:
            log.info("charger", url=credentials.url, charge_point_id=credentials.charge_point_id)
        tasks = [asyncio.create_task(drive(c, options)) for c in chargers]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks), args.duration_s)
    finally:
        await nc.drain()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--heartbeat-s", type=float, default=30.0)
    parser.add_argument("--meter-s", type=float, default=10.0)
    parser.add_argument("--session", action="store_true")
    parser.add_argument("--duration-s", type=float, default=None)
    asyncio.run(main(parser.parse_args()))
