"""Follow vendor commands to confirmed, failed, cancelled or timed out, shared by every replica.

Each command not yet logged final is a `command_tracking` document. The check loop leases due
ones (`claim_due`, as polls are leased), asks the vendor once, and either schedules the next
check or writes the final command log. A replica that dies leaves its commands to whoever
claims them when the lease ends; a draining one finishes the checks in hand, each releasing
its command.

The final log is written exactly once: the outcome is first fixed in the document (only by the
lease holder, only if none is fixed yet), then published, then the document is deleted. A
replica dying between those steps leaves the fixed outcome to the next claimer, which publishes
the same command log again: same `logged_at`, so the same `Nats-Msg-Id` (deduplicated by the
stream) and the same `(evse_uid, logged_at)` key (deduplicated by telemetry's unique index).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog

from evse_runtime.leases import work_off
from evse_runtime.mongo import as_stored

from .account_adapters import AccountAdapters
from .adapters import Adapters
from .adapters.base import CommandTicket
from .adapters.errors import VendorError
from .clock import Clock, utc_now
from .command_store import CommandStore
from .events import error_log
from .settings import BridgeSettings
from .telemetry_publisher import TelemetryPublisher
from .tracked_commands import CommandOutcome, TrackedCommand

__all__ = ["CommandTracker"]

log = structlog.get_logger("evse.bridge.tracking")

UNRECORDED = "the bridge never recorded the vendor's answer to the command"
LINK_GONE = "the user's vendor account link broke or was removed before the command ended"
SUPERSEDED = "a newer command of the same kind replaced it"
SAME_KIND: dict[str, tuple[str, ...]] = {
    "start_charging": ("start_charging", "stop_charging"),
    "stop_charging": ("start_charging", "stop_charging"),
}
"""One active command per EVSE and kind: a start and a stop are one kind (charging); any
other command is a kind of its own."""


class CommandTracker:
    def __init__(
        self,
        *,
        commands: CommandStore,
        adapters: Adapters,
        account_adapters: AccountAdapters,
        publisher: TelemetryPublisher,
        settings: BridgeSettings,
        clock: Clock = utc_now,
    ) -> None:
        self._commands = commands
        self._adapters = adapters
        self._account_adapters = account_adapters
        self._publisher = publisher
        self._settings = settings
        self._clock = clock
        self._owner = settings.replica_id

    async def track(self, command: TrackedCommand) -> None:
        """Record `command` before it is sent, leased by this replica until `sent` or `finish`."""
        lease_until = self._clock() + timedelta(seconds=self._settings.lease_s)
        await self._commands.track(command, owner=self._owner, lease_until=lease_until)
        name = command.command.name
        await self._commands.supersede(
            command.evse_uid,
            SAME_KIND.get(name, (name,)),
            newer=command.command_id,
            outcome=CommandOutcome("cancelled", as_stored(self._clock()), detail=SUPERSEDED),
        )

    async def sent(self, command: TrackedCommand, ticket: CommandTicket, *, wait_s: float) -> None:
        """The vendor accepted `command`: any replica checks its progress from `wait_s` on (a
        pushed outcome, `decide_pushed`, makes it due at once)."""
        await self._commands.record_ticket(
            command.command_id,
            owner=self._owner,
            ticket=ticket,
            next_check_at=self._next(command, wait_s),
        )

    async def finish(self, command: TrackedCommand, outcome: CommandOutcome) -> None:
        """Log `outcome` as the command's final state, unless another replica took it over."""
        if await self._commands.decide(command.command_id, owner=self._owner, outcome=outcome):
            await self._settle(command, outcome)

    async def run(self, stopping: asyncio.Event) -> None:
        """Claim and check due commands until `stopping`; checks in flight (one vendor call
        each) finish and release their commands before this returns."""
        await work_off(
            self._claim,
            self._check,
            stopping=stopping,
            concurrency=self._settings.max_concurrent_command_checks,
            idle_wait_s=self._settings.idle_wait_s,
        )

    async def _claim(self) -> TrackedCommand | None:
        return await self._commands.claim_due(
            now=self._clock(), owner=self._owner, lease_s=self._settings.lease_s
        )

    async def _check(self, command: TrackedCommand) -> None:
        try:
            if command.outcome is not None:
                await self._settle(command, command.outcome)
                return
            outcome = await self._progress(command)
            if outcome is not None:
                await self.finish(command, outcome)
        except Exception:
            log.exception("command check failed", command_id=command.command_id)
            # claimed again when the lease ends

    async def _progress(self, command: TrackedCommand) -> CommandOutcome | None:
        """The outcome if the command is over; else schedule the next check and return None."""
        at = as_stored(self._clock())
        if command.ticket is None:
            return CommandOutcome("timed_out", at, detail=UNRECORDED)
        code = command.ticket.vendor_response_code
        if at >= command.deadline:
            return CommandOutcome("timed_out", at, vendor_response_code=code)
        budget = self._adapters.budgets[command.provider]
        held_s = budget.blocked_for_s(command.vendor_account_uid)
        if held_s > 0:
            await self._again(command, delay_s=held_s)
            return None
        adapter = await self._account_adapters.adapter_for(command.vendor_account_uid)
        if adapter is None:
            return CommandOutcome("failed", at, vendor_response_code=code, detail=LINK_GONE)
        try:
            progress = await adapter.command_progress(
                command.device, command.command, command.ticket
            )
        except VendorError as exc:
            await self._publisher.publish(error_log(command.evse_uid, exc, at=self._clock()))
            await self._again(command, delay_s=self._backoff(command, exc))
            return None
        if progress == "pending":
            await self._again(command)
            return None
        return CommandOutcome(progress, as_stored(self._clock()), vendor_response_code=code)

    def _backoff(self, command: TrackedCommand, error: VendorError) -> float:
        if not error.retryable:
            return 0.0
        vendor = self._settings.vendor(command.provider)
        return self._adapters.budgets[command.provider].record_failure(
            command.vendor_account_uid,
            status=error.http_status,
            base_s=vendor.backoff_base_s,
            max_s=vendor.backoff_max_s,
            retry_after_s=error.retry_after_s,
        )

    async def _again(self, command: TrackedCommand, *, delay_s: float = 0.0) -> None:
        await self._commands.release(
            command.command_id, owner=self._owner, next_check_at=self._next(command, delay_s)
        )

    def _next(self, command: TrackedCommand, delay_s: float = 0.0) -> datetime:
        """The next check: an interval (or a back-off) from now, never after the deadline."""
        wait_s = max(self._settings.command_check_interval_s, delay_s)
        return min(self._clock() + timedelta(seconds=wait_s), command.deadline)

    async def _settle(self, command: TrackedCommand, outcome: CommandOutcome) -> None:
        """Publish the decided final log (again, after a takeover), then stop tracking."""
        await self._publisher.publish(command.log(outcome))
        await self._commands.forget(command.command_id, owner=self._owner)
        log.info(
            "command",
            command_id=command.command_id,
            evse_uid=command.evse_uid,
            result=outcome.result,
        )
