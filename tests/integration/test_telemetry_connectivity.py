"""An EVSE's connectivity (signal, SIM, reliability, firmware) read back through the gateway."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from evse_catalogue.seed import load_seed
from evse_contracts.catalogue import (
    EVSE_FIRMWARE_VERSIONS_LIST,
    EvseFirmwareVersion,
    ListEvseFirmwareVersions,
)
from evse_contracts.problems import ServiceUnavailable
from evse_contracts.telemetry import (
    ConnectivitySample,
    publish_event,
    timestamp_of,
)
from evse_devstack.backends import NatsServer
from evse_runtime.bus_client import BusClient
from evse_runtime.mongo import Database
from tests.utils.polling import until
from tests.utils.services import running_catalogue
from tests.utils.telemetry import (
    base_time,
    onboard,
    status,
    stored,
    visible,
)


async def test_connectivity_reports_signal_sim_and_reliability(
    telemetry_api: httpx.AsyncClient, telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    evse = await onboard(telemetry_js)
    start = base_time()
    link = ConnectivitySample(
        connection_type="cellular",
        signal_strength_dbm=-78,
        iccid="8944501234567890123",
        carrier="Vodafone",
        data_used_bytes_month=52_428_800,
        firmware_version="2.4.1",
    )
    pattern = [True, True, False, True, False, False, True, True]
    events = [
        status(evse.evse_uid, start + timedelta(minutes=i), online=up, connectivity=link)
        for i, up in enumerate(pattern)
    ]
    for event in events:
        await publish_event(telemetry_js, event)
    await visible(telemetry_db, evse.evse_uid)
    await stored(telemetry_db, "status_logs", evse.evse_uid, len(events))

    async def merged() -> httpx.Response | None:
        """The snapshot is merged just after a batch's logs are stored (ingest.py)."""
        response = await telemetry_api.get(f"/v2/evses/{evse.evse_uid}/connectivity")
        if response.status_code == 200 and response.json()["sampled_at"] != last:
            return None
        return response

    last = timestamp_of(events[-1])
    response = await until(merged)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["connection_type"] == "cellular"
    assert body["signal_strength"] == {"dbm": -78.0, "quality": "good"}
    assert body["sim"] == {
        "iccid": "8944501234567890123",
        "carrier": "Vodafone",
        "data_used_bytes_month": 52_428_800,
    }
    assert body["firmware"]["version"] == "2.4.1"
    assert body["firmware"]["newer_version_available"] is None  # no catalogue on this bus
    assert body["reliability"] == {
        "online_ratio_24h": 5 / 8,
        "online_ratio_7d": 5 / 8,
        "last_seen_at": timestamp_of(events[-1]),
        "disconnect_count_7d": 2,
    }
    assert body["sampled_at"] == timestamp_of(events[-1])


async def test_connectivity_of_an_evse_that_never_reported_is_empty(
    telemetry_api: httpx.AsyncClient, telemetry_js: JetStreamContext, telemetry_db: Database
) -> None:
    evse = await onboard(telemetry_js)
    await visible(telemetry_db, evse.evse_uid)

    body = (await telemetry_api.get(f"/v2/evses/{evse.evse_uid}/connectivity")).json()

    assert body["signal_strength"] is None and body["sampled_at"] is None
    assert body["reliability"]["online_ratio_24h"] is None
    assert body["reliability"]["disconnect_count_7d"] == 0


async def test_connectivity_asks_the_catalogue_whether_newer_firmware_exists(
    telemetry_api: httpx.AsyncClient,
    telemetry_js: JetStreamContext,
    telemetry_nc: NatsClient,
    telemetry_db: Database,
    module_nats: NatsServer,
    mongodb_url: str,
    database_name: str,
) -> None:
    model_uid = load_seed()["evse_models"][0]["uid"]
    async with running_catalogue(
        nats_url=module_nats.url, mongodb_url=mongodb_url, database=database_name
    ):
        # Whatever the catalogue lists for the model decides the answer; a catalogue that
        # does not serve firmware versions yet makes it unknown (null), not an error.
        try:
            listed: tuple[EvseFirmwareVersion, ...] | None = (
                await BusClient(telemetry_nc, timeout_s=30).request(
                    EVSE_FIRMWARE_VERSIONS_LIST,
                    ListEvseFirmwareVersions(evse_model_id=model_uid, limit=500),
                )
            ).results
        except ServiceUnavailable:
            listed = None
        oldest = min(listed or (), key=lambda v: v.release_date, default=None)
        running_version = oldest.version if oldest else "0.0.1"
        evse = await onboard(telemetry_js, evse_model_uid=model_uid)
        link = ConnectivitySample(firmware_version=running_version)
        await publish_event(telemetry_js, status(evse.evse_uid, base_time(), connectivity=link))
        await visible(telemetry_db, evse.evse_uid)
        await stored(telemetry_db, "status_logs", evse.evse_uid, 1)
        # The snapshot is merged just after the logs are stored (ingest.py): ask until it is.
        for _ in range(400):
            response = await telemetry_api.get(f"/v2/evses/{evse.evse_uid}/connectivity")
            if response.status_code != 200 or response.json()["firmware"]["version"]:
                break
            await asyncio.sleep(0.025)

    assert response.status_code == 200, response.text
    firmware = response.json()["firmware"]
    assert firmware["version"] == running_version
    if listed is None:
        assert firmware["newer_version_available"] is None
    elif oldest is None:
        assert firmware["newer_version_available"] is False
    else:
        newest = max(listed, key=lambda v: (v.release_date, v.version))
        assert firmware["newer_version_available"] is (newest.release_date > oldest.release_date)
        assert firmware["latest_version"] == newest.version
