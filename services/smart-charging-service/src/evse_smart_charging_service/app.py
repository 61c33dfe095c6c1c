"""The smart-charging service: capabilities, sites and charge plans, and their control loop.

State lives in its database (`evse_smart_charging`): sites and plans, leased per control cycle,
and the latest observation of each EVSE they manage, read from the TELEMETRY stream by a
durable consumer the replicas share.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evse_contracts.subjects import HEALTH_SUBJECTS
from evse_contracts.telemetry import TELEMETRY_STREAM
from evse_runtime.bus_client import BusClient
from evse_runtime.consumers import consume
from evse_runtime.registry import registry_lookup
from evse_runtime.service import Runtime, Service
from evse_runtime.streams import DEADLETTER, TELEMETRY, ensure_stream

from .capabilities import CapabilityReader
from .control import BridgeSender, control_loops
from .handlers import bridge_configuration, register_handlers
from .observations import FILTER_SUBJECT, observer
from .plans import PlanDesk
from .settings import SmartChargingSettings
from .sites import SiteDesk
from .store import SmartChargingStore

__all__ = ["SERVICE", "create_service"]

SERVICE = "smart-charging-service"
DURABLE = "smart-charging-observations"


def create_service(settings: SmartChargingSettings) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        store = SmartChargingStore(runtime.db)
        await store.ensure_indexes()
        bus = BusClient(runtime.nc, timeout_s=settings.request_timeout_s)
        capabilities = CapabilityReader(registry_lookup(bus), bridge_configuration(bus))
        sender = BridgeSender(bus)
        interval = settings.control_interval_s
        sites = SiteDesk(
            store,
            capabilities,
            sender.command("site"),
            interval_s=interval,
            resend_after_s=settings.resend_after_s,
        )
        plans = PlanDesk(
            store, capabilities, sender.command("plan"), sender.plan, interval_s=interval
        )
        register_handlers(runtime, capabilities, sites, plans)
        await _observe_telemetry(runtime, store, settings)
        owner = f"{settings.instance_id}-{secrets.token_hex(4)}"
        for loop in control_loops(
            store, sites, plans, settings, owner=owner, stopping=runtime.stopping
        ):
            runtime.loop(loop)
        yield

    return Service(SERVICE, HEALTH_SUBJECTS[SERVICE], settings, setup)


async def _observe_telemetry(
    runtime: Runtime, store: SmartChargingStore, settings: SmartChargingSettings
) -> None:
    for stream in (TELEMETRY, DEADLETTER):
        await ensure_stream(runtime.js, stream, replicas=settings.stream_replicas)
    await consume(
        runtime,
        stream=TELEMETRY_STREAM,
        durable=DURABLE,
        filter_subject=FILTER_SUBJECT,
        handle=observer(store),
        settings=settings,
    )
