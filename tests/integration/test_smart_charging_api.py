"""Capabilities and OCPP plans over HTTP: gateway → NATS → smart-charging service → the
registry and the bridge, with a charge point built from the `ocpp` package, real backends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from nats.aio.client import Client as NatsClient

from bench.ocpp_chargers import SimulatedCharger, connected_charger
from evse_contracts.bridge import (
    BRIDGE_OCPP_CREDENTIALS_ISSUE,
    IssueOcppCredentials,
    OcppCredentials,
)
from evse_contracts.smart_charging import ChargePlan
from evse_devstack.keys import KeyPair
from evse_devstack.processes import free_port
from evse_onboarding.registry_store import MongoRegistryStore
from evse_runtime.bus_client import BusClient
from evse_smart_charging.execution import ocpp_plan_profile
from evse_smart_charging_service.app import create_service as create_smart_charging
from evse_smart_charging_service.settings import SmartChargingSettings
from tests.utils.bridge import nats_client
from tests.utils.databases import fresh_database
from tests.utils.factories import Tenant, create_evse, create_tenant, identity_store
from tests.utils.polling import until_holds
from tests.utils.problems import PROBLEM_JSON
from tests.utils.services import (
    PATIENT,
    bus_user,
    running_bridge,
    running_catalogue,
    running_gateway,
    running_onboarding,
    running_service,
)
from tests.utils.tokens import issued_token

OCPP_MODEL = "EO Mini Pro 3"


@dataclass(frozen=True)
class World:
    client: httpx.AsyncClient
    store: MongoRegistryStore
    alice: Tenant
    bob: Tenant
    tokens: dict[str, str]
    nc: NatsClient


@pytest_asyncio.fixture(scope="module")
async def world(nats_url: str, mongodb_url: str, keys: KeyPair) -> AsyncIterator[World]:
    database = fresh_database("test_smart_charging_api")
    async with identity_store(mongodb_url, database) as identities:
        alice = await create_tenant(identities, "alice")
        bob = await create_tenant(identities, "bob")
    async with (
        running_onboarding(
            nats_url=nats_url, mongodb_url=mongodb_url, database=database, keys=keys
        ) as onboarding,
        running_catalogue(
            nats_url=nats_url, mongodb_url=mongodb_url, database=fresh_database("test_sc_cat")
        ),
        running_bridge(
            nats_url=nats_url,
            mongodb_url=mongodb_url,
            database=fresh_database("test_sc_bridge"),
            simulator_url="http://127.0.0.1:9",  # no vendor cloud is called here
            ocpp_port=free_port(),
        ),
        running_service(
            create_smart_charging,
            SmartChargingSettings(
                nats_url=nats_url,
                mongodb_url=mongodb_url,
                database=fresh_database("test_sc"),
                idle_wait_s=0.05,
                **PATIENT,
                **bus_user("smart-charging-service"),
            ),
        ),
        running_gateway(nats_url=nats_url, jwt_public_key_file=keys.public_key_file) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
        nats_client(nats_url) as nc,
    ):
        tokens = {
            "alice": await issued_token(client, alice),
            "alice-onboarding": await issued_token(client, alice, scope="onboarding"),
            "bob": await issued_token(client, bob),
        }
        yield World(client, MongoRegistryStore(onboarding.db), alice, bob, tokens, nc)


def _auth(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


async def test_a_cloud_chargers_capabilities_come_from_its_provider(world: World) -> None:
    evse = await create_evse(world.store, world.alice, serial_number="ZAP-SC1")
    response = await world.client.get(
        f"/v2/evses/{evse.uid}/capabilities", headers=_auth(world, "alice")
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "start_stop": True,
        "current_limit": True,
        "min_current_a": 6.0,
        "max_current_a": 32.0,
        "current_step_a": 1.0,
        "schedules": False,
        "power_reading": True,
        "energy_reading": True,
        "phases": 3,
    }
    by_legacy_id = await world.client.get(
        f"/v2/evses/{evse.evse_id}/capabilities", headers=_auth(world, "alice")
    )
    assert by_legacy_id.json() == response.json()


async def enrolled(world: World, serial: str) -> tuple[str, OcppCredentials]:
    """An OCPP EVSE of alice's in the registry, with its credentials from the bridge."""
    evse = await create_evse(world.store, world.alice, serial_number=serial, model=OCPP_MODEL)
    request = IssueOcppCredentials(
        evse_uid=evse.uid, application_uid=world.alice.application_uid, charge_point_id=serial
    )
    issued = await BusClient(world.nc, timeout_s=30).request(BRIDGE_OCPP_CREDENTIALS_ISSUE, request)
    return evse.uid, issued


async def capabilities(world: World, evse_uid: str) -> dict[str, Any]:
    response = await world.client.get(
        f"/v2/evses/{evse_uid}/capabilities", headers=_auth(world, "alice")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_ocpp_charger_claims_the_core_profile_until_it_reports_smart_charging(
    world: World,
) -> None:
    evse_uid, credentials = await enrolled(world, "EO-SC1")
    before = await capabilities(world, evse_uid)
    assert before["start_stop"] is True
    assert (before["current_limit"], before["schedules"], before["max_current_a"]) == (
        False,
        False,
        None,
    )
    async with connected_charger(credentials.url, "EO-SC1", credentials.password) as charger:
        assert (await charger.boot()).status == "Accepted"
        for _ in range(200):
            after = await capabilities(world, evse_uid)
            if after["schedules"]:
                break
    assert after["current_limit"] and after["schedules"]
    assert (after["min_current_a"], after["max_current_a"], after["current_step_a"]) == (
        6.0,
        32.0,
        0.1,
    )
    assert after["power_reading"] and after["energy_reading"]


def received_profile(charger: SimulatedCharger) -> dict[str, Any] | None:
    for direction, raw in charger.connection.frames:
        frame = json.loads(raw)
        if direction == "received" and frame[0] == 2 and frame[2] == "SetChargingProfile":
            profile: dict[str, Any] = frame[3]["csChargingProfiles"]
            return profile
    return None


async def test_a_charge_plan_arrives_at_an_ocpp_charge_point_as_its_profile_periods(
    world: World,
) -> None:
    evse_uid, credentials = await enrolled(world, "EO-SC-PLAN")
    async with connected_charger(credentials.url, "EO-SC-PLAN", credentials.password) as charger:
        assert (await charger.boot()).status == "Accepted"
        for _ in range(200):
            if (await capabilities(world, evse_uid))["schedules"]:
                break
        now = datetime.now(UTC)
        curve = [
            {
                "start_at": (now + timedelta(hours=i)).isoformat(),
                "end_at": (now + timedelta(hours=i + 1)).isoformat(),
                "price": price,
            }
            for i, price in enumerate((0.40, 0.30, 0.10, 0.20))
        ]
        planned = await world.client.put(
            f"/v2/evses/{evse_uid}/charge_plan",
            json={
                "target_energy_kwh": 16,
                "departure_at": (now + timedelta(hours=4)).isoformat(),
                "price_curve": curve,
            },
            headers=_auth(world, "alice"),
        )
        assert planned.status_code == 200, planned.text
        plan = ChargePlan.model_validate(planned.json())
        await until_holds(lambda: received_profile(charger) is not None)
        profile = received_profile(charger)
    assert profile is not None
    expected = ocpp_plan_profile(plan, transaction_id=None)["charging_schedule"]
    assert profile["chargingProfilePurpose"] == "TxDefaultProfile"
    assert profile["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": p["start_period"], "limit": p["limit"]}
        for p in expected["charging_schedule_period"]
    ]
    # 32 A on three phases is 22 kW: the 16 kWh fit in the cheapest hour (the third).
    assert {p["price"] for p in planned.json()["intervals"]} == {0.10}


async def test_another_tenants_evse_is_not_found(world: World) -> None:
    evse = await create_evse(world.store, world.bob, serial_number="ZAP-SC2")
    response = await world.client.get(
        f"/v2/evses/{evse.uid}/capabilities", headers=_auth(world, "alice")
    )
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("/problems/evse-not-found")


async def test_capabilities_need_a_token_with_evses_read(world: World) -> None:
    evse = await create_evse(world.store, world.alice, serial_number="ZAP-SC3")
    anonymous = await world.client.get(f"/v2/evses/{evse.uid}/capabilities")
    assert anonymous.status_code == 401, anonymous.text
    onboarding_only = await world.client.get(
        f"/v2/evses/{evse.uid}/capabilities", headers=_auth(world, "alice-onboarding")
    )
    assert onboarding_only.status_code == 403, onboarding_only.text
