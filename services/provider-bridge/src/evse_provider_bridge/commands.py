"""Send a command to a charger; its tracking to a final state is `tracking.py`'s.

The reply to `bridge.commands.send` carries the first state (`pending`, or `failed` when the
vendor refuses outright). A vendor command is recorded for tracking before it is sent, so a
replica dying at any point leaves it to another replica, which logs its final state.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from evse_contracts.bridge import CommandAccepted, SendCommand
from evse_contracts.ids import new_uid
from evse_contracts.telemetry import CommandResult
from evse_runtime.mongo import as_stored
from evse_smart_charging.capabilities import for_vendor, require

from .account_adapters import AccountAdapters
from .adapters import Adapters
from .adapters.base import Command, DeviceRef
from .adapters.errors import VendorError
from .central_system.desk import OcppDesk
from .clock import Clock, utc_now
from .errors import CommandNotSupported, EvseNotLinked, VendorAccountNotLinked
from .events import error_log
from .link_store import LinkStore
from .links import ProviderLink
from .settings import BridgeSettings
from .telemetry_publisher import TelemetryPublisher
from .tracked_commands import CommandOutcome, TrackedCommand
from .tracking import CommandTracker

__all__ = ["CommandDesk"]

log = structlog.get_logger("evse.bridge.commands")


class CommandDesk:
    def __init__(
        self,
        *,
        links: LinkStore,
        adapters: Adapters,
        account_adapters: AccountAdapters,
        ocpp: OcppDesk,
        tracker: CommandTracker,
        publisher: TelemetryPublisher,
        settings: BridgeSettings,
        clock: Clock = utc_now,
    ) -> None:
        self._links = links
        self._adapters = adapters
        self._account_adapters = account_adapters
        self._ocpp = ocpp
        self._tracker = tracker
        self._publisher = publisher
        self._settings = settings
        self._clock = clock

    async def send(self, request: SendCommand) -> CommandAccepted:
        """Through the vendor cloud the EVSE is linked with, else to its OCPP connection."""
        link = await self._links.get_link(request.evse_uid)
        if link is None or link.provider not in self._adapters:
            charger = await self._ocpp.find(request.evse_uid)
            if charger is None:
                raise EvseNotLinked(request.evse_uid)
            return await self._ocpp.send(charger, request)
        name = request.command
        require(link.evse_uid, for_vendor(link.provider), name, request.current_limit_a)
        if name == "reset" or name == "change_availability" or name == "set_schedule":
            raise CommandNotSupported(name, link.provider)
        linked = await self._account_adapters.linked(link.vendor_account_uid)
        if linked is None:
            raise VendorAccountNotLinked(link.provider, broken=True)
        account, adapter = linked
        command = self._tracked(link, Command(name, request.current_limit_a), request.source)
        await self._tracker.track(command)
        await self._publisher.publish(command.log(CommandOutcome("pending", command.started)))
        log.info("command", command_id=command.command_id, evse_uid=link.evse_uid, result="pending")
        try:
            ticket = await adapter.send_command(command.device, command.command)
        except VendorError as exc:
            await self._publisher.publish(error_log(link.evse_uid, exc, at=self._clock()))
            code = None if exc.http_status is None else str(exc.http_status)
            outcome = CommandOutcome(
                "failed", as_stored(self._clock()), vendor_response_code=code, detail=exc.message
            )
            await self._tracker.finish(command, outcome)
            return self._accepted(command, "failed")
        # While the account's stream is up, the vendor pushes the outcome: read back only later.
        vendor = self._settings.vendor(link.provider)
        streamed = account.streamed(self._clock())
        await self._tracker.sent(
            command, ticket, wait_s=vendor.command_push_wait_s if streamed else 0
        )
        return self._accepted(command, "pending")

    def _tracked(self, link: ProviderLink, command: Command, source: str) -> TrackedCommand:
        started = as_stored(self._clock())
        return TrackedCommand(
            command_id=new_uid("cmd"),
            evse_uid=link.evse_uid,
            provider=link.provider,
            vendor_account_uid=link.vendor_account_uid,
            device=DeviceRef(link.vendor_device_id, link.context),
            command=command,
            source=source,
            started=started,
            deadline=started + timedelta(seconds=self._settings.command_timeout_s),
        )

    @staticmethod
    def _accepted(command: TrackedCommand, state: CommandResult) -> CommandAccepted:
        return CommandAccepted(
            command_id=command.command_id,
            evse_uid=command.evse_uid,
            command=command.command.name,
            state=state,
        )
