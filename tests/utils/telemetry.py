"""Builders for telemetry and registry events, and waiting for ingestion to catch up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from evse_contracts.auth import Principal
from evse_contracts.bus import PRINCIPAL_HEADER
from evse_contracts.evses import (
    EVSE_DECOMMISSIONED,
    EVSE_ONBOARDED,
    EvseDecommissioned,
    EvseOnboarded,
)
from evse_contracts.ids import new_uid
from evse_contracts.pagination import Page
from evse_contracts.telemetry import (
    STATUS_LOGS_LIST,
    CommandLog,
    ConnectivitySample,
    ErrorLog,
    ListLogs,
    OcppLog,
    StatusLog,
    to_utc_millis,
)
from evse_runtime.bus_client import BusClient
from evse_runtime.mongo import Database
from tests.utils.polling import until

_legacy_ids = iter(range(1_000, 10_000_000))


def base_time() -> datetime:
    """A recent instant at millisecond precision, so retention never removes test logs."""
    return to_utc_millis(datetime.now(UTC) - timedelta(hours=1))


TEST_APPLICATION = new_uid("app")
"""The application EVSEs belong to unless a test names another (see `application_token`)."""


async def onboard(
    js: JetStreamContext,
    *,
    application_uid: str | None = None,
    user_uid: str | None = None,
    evse_model_uid: str = "evsemodel01JD7AAAAAAAAAAAAAAAAAAAAA",
) -> EvseOnboarded:
    event = EvseOnboarded(
        evse_uid=new_uid("evse"),
        evse_id=next(_legacy_ids),
        application_uid=application_uid or TEST_APPLICATION,
        user_uid=user_uid,
        evse_model_uid=evse_model_uid,
        provider="zaptec",
        serial_number="ZAP-1",
        occurred_at=datetime.now(UTC),
    )
    await js.publish(EVSE_ONBOARDED, event.model_dump_json().encode())
    return event


async def decommission(js: JetStreamContext, evse: EvseOnboarded) -> None:
    event = EvseDecommissioned(
        evse_uid=evse.evse_uid,
        evse_id=evse.evse_id,
        application_uid=evse.application_uid,
        occurred_at=datetime.now(UTC),
    )
    await js.publish(EVSE_DECOMMISSIONED, event.model_dump_json().encode())


def status(
    evse_uid: str,
    at: datetime,
    *,
    online: bool = True,
    connectivity: ConnectivitySample | None = None,
    **fields: Any,
) -> StatusLog:
    defaults: dict[str, Any] = {"state": "charging" if online else "offline", "plugged_in": True}
    return StatusLog(
        evse_uid=evse_uid,
        sampled_at=at,
        online=online,
        connectivity=connectivity,
        **{**defaults, **fields},
    )


def command(evse_uid: str, at: datetime) -> CommandLog:
    return CommandLog(
        evse_uid=evse_uid,
        logged_at=at,
        command_id="cmd-1",
        command="set_current_limit",
        parameters={"current_a": 16},
        result="confirmed",
        vendor_response_code="200",
        latency_ms=850.0,
    )


def error(evse_uid: str, at: datetime) -> ErrorLog:
    return ErrorLog(
        evse_uid=evse_uid,
        sampled_at=at,
        provider="zaptec",
        vendor_api="chargers.state",
        http_method="GET",
        http_status=503,
        error_code="upstream_unavailable",
        message="Service Unavailable",
        retryable=True,
    )


def ocpp(evse_uid: str, at: datetime) -> OcppLog:
    return OcppLog(
        evse_uid=evse_uid,
        sampled_at=at,
        direction="inbound",
        message_type_id=2,
        unique_id="19223201",
        action="StatusNotification",
        payload={"connectorId": 1, "status": "Charging", "errorCode": "NoError"},
    )


async def stored(db: Database, collection: str, evse_uid: str, count: int) -> None:
    """Wait until `count` documents of the EVSE are in `collection`."""

    async def enough() -> bool:
        return await db[collection].count_documents({"evse_uid": evse_uid}) >= count

    await until(enough)


async def visible(db: Database, evse_uid: str) -> None:
    """Wait until telemetry's projection knows the EVSE."""

    async def known() -> bool:
        query = {"_id": evse_uid, "application_uid": {"$exists": True}}
        return await db["evse_access"].count_documents(query) == 1

    await until(known)


async def ask_status_logs(nc: NatsClient, evse_id: str, principal: Principal | None) -> Page[Any]:
    """Telemetry's answer to `principal` asking for an EVSE's status logs over the bus."""
    headers = {} if principal is None else {PRINCIPAL_HEADER: principal.model_dump_json()}
    bus = BusClient(nc, timeout_s=30)
    return await bus.request(STATUS_LOGS_LIST, ListLogs(evse_id=evse_id), headers=headers)
