"""The control loop: every replica works off due sites and plans, one replica per item.

Sites and plans are leased (`evse_runtime.leases`), so replicas share them and one that dies
leaves its items to the others when their leases end. Commands go to the bridge on
`bridge.commands.send`, the path every command takes, with `source` `site` or `plan`, so they
show in the command logs and client events like any other.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import structlog

from evse_contracts.bridge import BRIDGE_COMMANDS_SEND, SendCommand
from evse_contracts.problems import DomainError
from evse_contracts.smart_charging import ChargePlan
from evse_runtime.bus_client import BusClient
from evse_runtime.leases import work_off

from .plans import PlanDesk
from .settings import SmartChargingSettings
from .sites import SiteDesk
from .store import SmartChargingStore

__all__ = ["BridgeSender", "control_loops"]

log = structlog.get_logger("evse.smart_charging.control")
Clock = Callable[[], datetime]


class BridgeSender:
    """Commands and plans to the bridge; a refusal is logged, never raised into the loop."""

    def __init__(self, bus: BusClient) -> None:
        self._bus = bus

    def command(self, source: str) -> Callable[[str, str, float | None], Awaitable[bool]]:
        async def send(evse_uid: str, command: str, current_limit_a: float | None) -> bool:
            request = SendCommand.model_validate(
                {
                    "evse_uid": evse_uid,
                    "command": command,
                    "current_limit_a": current_limit_a,
                    "source": source,
                }
            )
            return await self._send(request)

        return send

    async def plan(self, evse_uid: str, plan: ChargePlan) -> bool:
        request = SendCommand(
            evse_uid=evse_uid, command="set_schedule", charge_plan=plan, source="plan"
        )
        return await self._send(request)

    async def _send(self, request: SendCommand) -> bool:
        request_id = str(structlog.contextvars.get_contextvars().get("request_id", ""))
        try:
            accepted = await self._bus.request(BRIDGE_COMMANDS_SEND, request, request_id=request_id)
        except DomainError as exc:
            log.warning(
                "command not sent",
                evse_uid=request.evse_uid,
                command=request.command,
                error=exc.detail,
            )
            return False
        return accepted.state != "failed"


def control_loops(
    store: SmartChargingStore,
    sites: SiteDesk,
    plans: PlanDesk,
    settings: SmartChargingSettings,
    *,
    owner: str,
    stopping: asyncio.Event,
    clock: Clock = lambda: datetime.now(UTC),
) -> list[Callable[[], Coroutine[Any, Any, None]]]:
    """The two loops a replica runs: sites, and plans."""

    def loop(
        claim: Callable[..., Awaitable[dict[str, Any] | None]],
        cycle: Callable[..., Awaitable[None]],
    ) -> Callable[[], Coroutine[Any, Any, None]]:
        async def run() -> None:
            await work_off(
                lambda: claim(now=clock(), owner=owner, lease_s=settings.lease_s),
                lambda doc: _traced(cycle(doc, owner=owner, now=clock())),
                stopping=stopping,
                concurrency=settings.max_concurrent_cycles,
                idle_wait_s=settings.idle_wait_s,
            )

        return run

    return [loop(store.claim_site, sites.cycle), loop(store.claim_plan, plans.cycle)]


async def _traced(cycle: Awaitable[None]) -> None:
    """One request id per control cycle, carried to the bridge with every command it sends."""
    with structlog.contextvars.bound_contextvars(request_id=secrets.token_hex(16)):
        await cycle
