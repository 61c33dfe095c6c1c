"""OCPP 1.6J chargers connected straight to the bridge: handshake, frames, status, commands.

Real NATS, the MongoDB-protocol server, real WebSockets: two bridge replicas sharing one
database, telemetry storing the logs, onboarding and the gateway for the HTTP API.
Over 300 lines because every scenario shares that one module-scoped stack (started once, ~170
lines with its helpers): split, each part would start its own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from ocpp.v16.enums import ChargePointStatus
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from bench.ocpp_chargers import basic_auth, connected_charger
from evse_contracts.bridge import (
    BRIDGE_OCPP_CREDENTIALS_ISSUE,
    IssueOcppCredentials,
    OcppCredentials,
    SendCommand,
)
from evse_contracts.evses import EVSE_ONBOARDED, EvseOnboarded
from evse_devstack.backends import NatsServer
from evse_devstack.keys import KeyPair
from evse_devstack.processes import free_port
from evse_onboarding.identity_store import MongoIdentityStore
from evse_onboarding.registry_store import MongoRegistryStore
from evse_provider_bridge.central_system.desk import OcppDesk
from evse_provider_bridge.central_system.store import MongoOcppStore
from evse_runtime.bus_client import BusClient
from evse_runtime.mongo import open_database
from evse_runtime.service import Runtime
from tests.utils.bridge import decommission, nats_client
from tests.utils.factories import Tenant, create_evse, create_tenant
from tests.utils.polling import until, until_holds
from tests.utils.services import (
    running_bridge,
    running_gateway,
    running_onboarding,
    running_telemetry,
)
from tests.utils.tokens import application_bearer

OCPP_MODEL = "Terra AC Wallbox (22 kW)"


@dataclass(frozen=True)
class Stack:
    http: httpx.AsyncClient
    nc: NatsClient
    registry: MongoRegistryStore
    tenant: Tenant
    auth: dict[str, str]
    replica_a: Runtime
    replica_b: Runtime
    url_a: str
    url_b: str


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A NATS server of this module's own: telemetry replays EVSE_EVENTS from the start, and
    other modules' events (legacy ids reused) would clash in its projection."""
    server = NatsServer(tmp_path_factory.mktemp("ocpp-nats"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="module")
async def stack(nats_url: str, mongodb_url: str, keys: KeyPair) -> AsyncIterator[Stack]:
    port_a, port_b = free_port(), free_port()
    bridge: dict[str, Any] = {
        "nats_url": nats_url,
        "mongodb_url": mongodb_url,
        "database": "test_ocpp_bridge",
        "simulator_url": "http://127.0.0.1:9",
        "ocpp_response_timeout_s": 5.0,
    }
    async with open_database(mongodb_url, "test_ocpp_onboarding") as db:
        await db.client.drop_database("test_ocpp_onboarding")
        await db.client.drop_database("test_ocpp_bridge")
        await db.client.drop_database("test_ocpp_tel")
        identities = MongoIdentityStore(db)
        await identities.ensure_indexes()
        tenant = await create_tenant(identities, "ocpp")
    async with (
        running_telemetry(nats_url=nats_url, mongodb_url=mongodb_url, database="test_ocpp_tel"),
        running_onboarding(
            nats_url=nats_url, mongodb_url=mongodb_url, database="test_ocpp_onboarding", keys=keys
        ) as onboarding,
        running_bridge(**bridge, ocpp_port=port_a) as replica_a,
        running_bridge(**bridge, ocpp_port=port_b) as replica_b,
        running_gateway(nats_url=nats_url, jwt_public_key_file=keys.public_key_file) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        nats_client(nats_url) as nc,
    ):
        yield Stack(
            http=http,
            nc=nc,
            registry=MongoRegistryStore(onboarding.db),
            tenant=tenant,
            auth=application_bearer(keys, tenant.application_uid),
            replica_a=replica_a,
            replica_b=replica_b,
            url_a=f"ws://127.0.0.1:{port_a}/ocpp",
            url_b=f"ws://127.0.0.1:{port_b}/ocpp",
        )


async def enrol(stack: Stack, serial: str) -> tuple[str, OcppCredentials]:
    """An OCPP EVSE in the registry, announced, with credentials from the bridge's route."""
    record = await create_evse(stack.registry, stack.tenant, serial_number=serial, model=OCPP_MODEL)
    event = EvseOnboarded(
        evse_uid=record.uid,
        evse_id=record.evse_id,
        application_uid=record.application_uid,
        user_uid=record.user_uid,
        evse_model_uid=record.evse_model.uid,
        provider=None,
        serial_number=serial,
        occurred_at=datetime.now(UTC),
    )
    await stack.nc.jetstream().publish(EVSE_ONBOARDED, event.model_dump_json().encode())
    request = IssueOcppCredentials(
        evse_uid=record.uid, application_uid=record.application_uid, charge_point_id=serial
    )
    credentials = await BusClient(stack.nc, timeout_s=30).request(
        BRIDGE_OCPP_CREDENTIALS_ISSUE, request
    )
    return record.uid, credentials


async def logs(stack: Stack, evse_uid: str, kind: str) -> list[dict[str, Any]]:
    response = await stack.http.get(
        f"/v2/evses/{evse_uid}/{kind}_logs", params={"limit": 500}, headers=stack.auth
    )
    if response.status_code == 404:
        return []
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["results"]))


def as_logged(direction: str, raw: str) -> tuple[str, int, str]:
    message = json.loads(raw)
    return direction, message[0], message[1]


async def test_charger_boots_runs_a_session_and_is_stopped_through_the_api(stack: Stack) -> None:
    evse_uid, credentials = await enrol(stack, "CP-SESSION-1")
    assert credentials.url in (f"{stack.url_a}/CP-SESSION-1", f"{stack.url_b}/CP-SESSION-1")
    async with connected_charger(credentials.url, "CP-SESSION-1", credentials.password) as cp:
        boot = await cp.boot()
        assert boot.status == "Accepted" and boot.interval == 30
        await cp.status(ChargePointStatus.available)
        await cp.heartbeat()
        transaction_id = await cp.start_session()
        response = await stack.http.post(
            f"/v2/evses/{evse_uid}/commands", json={"command": "stop_charging"}, headers=stack.auth
        )
        assert response.status_code == 202, response.text
        assert response.json()["state"] == "pending"
        await cp.remote_stopped.wait()
        assert cp.received == ["RemoteStopTransaction"]
        expected = [
            as_logged("inbound" if way == "sent" else "outbound", raw)
            for way, raw in cp.connection.frames
        ]

        async def all_frames() -> list[dict[str, Any]] | None:
            found = await logs(stack, evse_uid, "ocpp")
            return found if len(found) >= len(expected) else None

        frames = await until(all_frames)
    logged = [(f["direction"], f["message_type_id"], f["unique_id"]) for f in frames]
    assert logged == expected
    assert frames[0]["action"] == "BootNotification" and frames[1]["action"] == "BootNotification"
    assert frames[0]["payload"]["firmwareVersion"] == "1.4.2"
    stop_call = next(f for f in frames if f["action"] == "RemoteStopTransaction")
    assert stop_call["direction"] == "outbound"
    assert stop_call["payload"] == {"transactionId": transaction_id}
    stamps = [f["sampled_at"] for f in frames]
    assert stamps == sorted(set(stamps))

    async def confirmed() -> list[dict[str, Any]] | None:
        found = await logs(stack, evse_uid, "command")
        return found if [c["result"] for c in found] == ["pending", "confirmed"] else None

    commands = await until(confirmed)
    assert commands[1]["command"] == "stop_charging"
    assert commands[1]["vendor_response_code"] == "Accepted"

    async def offline_recorded() -> list[dict[str, Any]] | None:
        found = await logs(stack, evse_uid, "status")
        return found if found and found[-1]["state"] == "offline" else None

    states = [s["state"] for s in await until(offline_recorded)]
    assert "charging" in states and states[-2] == "available"
    assert states.index("charging") < len(states) - 2
    connectivity = await stack.http.get(f"/v2/evses/{evse_uid}/connectivity", headers=stack.auth)
    assert connectivity.json()["firmware"]["version"] == "1.4.2"


async def test_unknown_charger_wrong_password_and_wrong_subprotocol_are_refused(
    stack: Stack,
) -> None:
    _, credentials = await enrol(stack, "CP-REFUSE-1")

    async def status_of(path: str, password: str, subprotocol: str = "ocpp1.6") -> int:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(
                f"{stack.url_a}/{path}",
                subprotocols=[subprotocol],  # type: ignore[list-item]
                additional_headers={"Authorization": basic_auth(path, password)},
            ):
                pass
        return refused.value.response.status_code

    assert await status_of("CP-NOBODY", credentials.password) == 401
    assert await status_of("CP-REFUSE-1", "wrong-password-123456") == 401
    assert await status_of("CP-REFUSE-1", credentials.password, "ocpp2.0.1") == 400


async def test_a_charger_with_a_faulty_meter_keeps_its_session_and_its_status_logs(
    stack: Stack,
) -> None:
    evse_uid, credentials = await enrol(stack, "CP-FAULTY-METER-1")
    async with connected_charger(credentials.url, "CP-FAULTY-METER-1", credentials.password) as cp:
        cp.meter.energy_wh = -19_493  # OCPP 1.6 sets no minimum for meterStart or a reading
        await cp.boot()
        assert await cp.start_session() > 0  # StartTransaction answered with a transaction
        answers = [json.loads(raw) for way, raw in cp.connection.frames if way == "received"]
    assert [a for a in answers if a[0] == 4] == []

    async def charging_logged() -> list[dict[str, Any]] | None:
        found = await logs(stack, evse_uid, "status")
        return found if any(s["power_w"] for s in found) else None

    charging = [s for s in await until(charging_logged) if s["state"] == "charging"]
    assert charging and all(s["lifetime_energy_wh"] is None for s in charging)
    assert charging[-1]["power_w"] == 7200.0


async def test_malformed_frames_get_a_callerror_and_an_error_log_and_the_socket_survives(
    stack: Stack,
) -> None:
    evse_uid, credentials = await enrol(stack, "CP-MALFORMED-1")
    async with connect(
        credentials.url,
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers={"Authorization": basic_auth("CP-MALFORMED-1", credentials.password)},
    ) as ws:
        answers = []
        deep, deeper = "[" * 900 + "]" * 900, "[" * 5000 + "]" * 5000
        for frame in (
            "this is not json",
            '[2, "m-2", "BootNotification", {"chargePointVendor": 7}]',
            '[2, "m-3", "FlyToTheMoon", {}]',
            '[2, "m-5", "BootNotification", {"chargePointVendor": "\\ud800", '
            '"chargePointModel": "M"}]',
            '[2, "m-6", "DataTransfer", {"vendorId": "V", "data": ' + deeper + "}]",
            '[2, "m-7", "DataTransfer", {"vendorId": "V", "data": ' + deep + "}]",
            '[2, "m-4", "Heartbeat", {}]',
        ):
            await ws.send(frame)
            answers.append(json.loads(await ws.recv()))
    assert answers[0][:3] == [4, "-1", "FormationViolation"]
    assert answers[1][:3] == [4, "m-2", "TypeConstraintViolation"]
    assert answers[2][:3] == [4, "m-3", "NotSupported"]
    assert answers[3][:4] == [
        4,
        "m-5",
        "FormationViolation",
        "a string escapes a lone UTF-16 surrogate",
    ]
    assert answers[4][:3] == [4, "-1", "FormationViolation"]  # nested deeper than JSON is read
    assert answers[5][:3] == [4, "m-7", "TypeConstraintViolation"]  # read by json.loads
    assert answers[6][0] == 3 and answers[6][1] == "m-4" and "currentTime" in answers[6][2]

    async def three_errors() -> list[dict[str, Any]] | None:
        found = await logs(stack, evse_uid, "error")
        codes = [e["error_code"] for e in found]
        return found if codes.count("FormationViolation") >= 2 and len(found) >= 4 else None

    errors = await until(three_errors)
    codes = [e["error_code"] for e in errors]
    assert "TypeConstraintViolation" in codes and "NotSupported" in codes
    assert all(e["provider"] == "ocpp" for e in errors)


def raw_socket(credentials: OcppCredentials, charge_point_id: str) -> Any:
    return connect(
        credentials.url,
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": basic_auth(charge_point_id, credentials.password)},
        ping_interval=None,
        max_size=None,
    )


async def test_a_frame_over_the_size_limit_closes_the_socket_with_1009(stack: Stack) -> None:
    _, credentials = await enrol(stack, "CP-BIGFRAME-1")
    async with raw_socket(credentials, "CP-BIGFRAME-1") as ws:
        await ws.send('[2, "m-1", "Heartbeat", {}]')
        assert json.loads(await ws.recv())[1] == "m-1"
        await ws.send(json.dumps([3, "big", {"d": "A" * 70_000}]))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_a_flooding_charger_is_closed_and_another_keeps_working(stack: Stack) -> None:
    _, flooding = await enrol(stack, "CP-FLOOD-1")
    _, calm = await enrol(stack, "CP-CALM-1")
    async with (
        raw_socket(flooding, "CP-FLOOD-1") as flood,
        connected_charger(calm.url, "CP-CALM-1", calm.password) as charger,
    ):
        await charger.boot()
        with pytest.raises(ConnectionClosed) as closed:
            for i in range(1000):  # the limit is 120 a minute
                await flood.send(f'[2, "f-{i}", "Heartbeat", {{}}]')
            while True:
                await flood.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert (await charger.heartbeat()).current_time


async def test_frames_are_not_written_to_the_service_log(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    _, credentials = await enrol(stack, "CP-QUIET-1")
    with caplog.at_level(logging.INFO):  # the level services log at
        async with raw_socket(credentials, "CP-QUIET-1") as ws:
            await ws.send('[2, "q-1", "Heartbeat", {}]')
            assert json.loads(await ws.recv())[1] == "q-1"
    assert not [r for r in caplog.records if "q-1" in r.getMessage()]


async def test_a_command_to_an_offline_charger_is_an_evse_offline_problem(stack: Stack) -> None:
    evse_uid, _ = await enrol(stack, "CP-OFFLINE-1")
    response = await stack.http.post(
        f"/v2/evses/{evse_uid}/commands", json={"command": "reset"}, headers=stack.auth
    )
    assert response.status_code == 409, response.text
    assert response.json()["type"].endswith("/problems/evse-offline")


async def test_a_command_reaches_a_charger_held_by_another_replica(stack: Stack) -> None:
    evse_uid, credentials = await enrol(stack, "CP-REPLICA-1")
    async with connected_charger(
        f"{stack.url_b}/CP-REPLICA-1", "CP-REPLICA-1", credentials.password
    ) as cp:
        await cp.boot()
        # Replica A's desk, on replica A's connection: its request crosses to replica B.
        desk = OcppDesk(
            nc=stack.replica_a.nc,
            store=MongoOcppStore(stack.replica_a.db),
            public_url=stack.url_a,
            timeout_s=30,
        )
        charger = await desk.find(evse_uid)
        assert charger is not None
        for command in (
            SendCommand(evse_uid=evse_uid, command="set_current_limit", current_limit_a=16),
            SendCommand(evse_uid=evse_uid, command="change_availability", available=False),
            SendCommand(evse_uid=evse_uid, command="start_charging"),
        ):
            accepted = await desk.send(charger, command)
            assert accepted.state == "pending"
        await until_holds(lambda: len(cp.received) == 3, attempts=500)
        assert cp.received == [
            "SetChargingProfile",
            "ChangeAvailability",
            "RemoteStartTransaction",
        ]


async def test_a_reconnection_to_another_replica_closes_the_older_socket(stack: Stack) -> None:
    _, credentials = await enrol(stack, "CP-TAKEOVER-1")
    async with connected_charger(
        f"{stack.url_a}/CP-TAKEOVER-1", "CP-TAKEOVER-1", credentials.password
    ) as first:
        await first.heartbeat()
        async with connected_charger(
            f"{stack.url_b}/CP-TAKEOVER-1", "CP-TAKEOVER-1", credentials.password
        ) as second:
            await second.heartbeat()
            await first.connection.ws.wait_closed()
            assert first.connection.ws.close_code == 4000
            assert (await second.heartbeat()).current_time


async def test_decommissioning_revokes_the_credentials_and_closes_the_socket(
    stack: Stack,
) -> None:
    evse_uid, credentials = await enrol(stack, "CP-DECOM-1")
    async with connected_charger(credentials.url, "CP-DECOM-1", credentials.password) as cp:
        await cp.boot()
        await decommission(stack.nc.jetstream(), evse_uid)
        await cp.connection.ws.wait_closed()
    with pytest.raises(InvalidStatus) as refused:
        async with connected_charger(credentials.url, "CP-DECOM-1", credentials.password):
            pass
    assert refused.value.response.status_code == 401
    with pytest.raises(ConnectionClosed):
        await cp.heartbeat()


async def _async(value: bool) -> bool:
    return value
