"""Send a command to a charger and follow it to confirmed, failed or timeout.

The reply to `bridge.commands.send` carries the first state (`pending`, or `failed` when the
vendor refuses outright); a background task then polls the vendor (ack id or read-back) every
`command_check_interval_s` and publishes a command log for each state change. Tracking lives
in the replica that sent the command: if it dies, the command's final log is never written.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Unpack

import structlog

from evse_contracts.bridge import CommandAccepted, SendCommand
from evse_contracts.ids import new_uid
from evse_contracts.telemetry import CommandResult

from .adapters.base import Command, CommandTicket, DeviceRef
from .adapters.errors import VendorError
from .budget import budget_wait_limit
from .central_system.desk import OcppDesk
from .errors import CommandNotSupported, EvseNotLinked
from .events import command_log, error_log, now
from .store import ProviderLink
from .worker import BridgeWorker, WorkerParts

__all__ = ["CommandDesk"]

log = structlog.get_logger("evse.bridge.commands")


class CommandDesk(BridgeWorker):
    def __init__(self, *, ocpp: OcppDesk, **parts: Unpack[WorkerParts]) -> None:
        super().__init__(**parts)
        self._ocpp = ocpp
        self._tracking: set[asyncio.Task[None]] = set()

    async def send(self, request: SendCommand) -> CommandAccepted:
        """Through the vendor cloud the EVSE is linked with, else to its OCPP connection."""
        link = await self._store.get_link(request.evse_uid)
        if link is None or link.provider not in self._adapters:
            charger = await self._ocpp.find(request.evse_uid)
            if charger is None:
                raise EvseNotLinked(request.evse_uid)
            return await self._ocpp.send(charger, request)
        name = request.command
        if name == "reset" or name == "change_availability":
            raise CommandNotSupported(name, link.provider)
        command = Command(name, request.current_limit_a)
        command_id = new_uid("cmd")
        started = now()
        await self._log(link, command_id, command, request.source, "pending", started, started)
        device = DeviceRef(link.vendor_device_id, link.context)
        try:
            ticket = await self._adapters[link.provider].send_command(device, command)
        except VendorError as exc:
            await self._publisher.publish(error_log(link.evse_uid, exc, at=now()))
            await self._log(
                link,
                command_id,
                command,
                request.source,
                "failed",
                started,
                now(),
                code=None if exc.http_status is None else str(exc.http_status),
                detail=exc.message,
            )
            return CommandAccepted(
                command_id=command_id,
                evse_uid=link.evse_uid,
                command=request.command,
                state="failed",
            )
        with budget_wait_limit(None):  # tracking outlives the request: no caller to time out
            task = asyncio.create_task(
                self._track(link, device, command_id, command, request.source, ticket, started)
            )
        self._tracking.add(task)
        task.add_done_callback(self._tracking.discard)
        return CommandAccepted(
            command_id=command_id, evse_uid=link.evse_uid, command=request.command, state="pending"
        )

    async def _track(
        self,
        link: ProviderLink,
        device: DeviceRef,
        command_id: str,
        command: Command,
        source: str,
        ticket: CommandTicket,
        started: datetime,
    ) -> None:
        adapter = self._adapters[link.provider]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.command_timeout_s
        result: CommandResult = "timeout"
        while loop.time() < deadline:
            await asyncio.sleep(self._settings.command_check_interval_s)
            try:
                progress = await adapter.command_progress(device, command, ticket)
            except VendorError as exc:
                await self._publisher.publish(error_log(link.evse_uid, exc, at=now()))
                continue
            if progress != "pending":
                result = progress
                break
        await self._log(
            link,
            command_id,
            command,
            source,
            result,
            started,
            now(),
            code=ticket.vendor_response_code,
        )

    async def _log(
        self,
        link: ProviderLink,
        command_id: str,
        command: Command,
        source: str,
        result: CommandResult,
        started: datetime,
        at: datetime,
        *,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        event = command_log(
            evse_uid=link.evse_uid,
            command_id=command_id,
            command=command,
            source=source,
            result=result,
            started=started,
            at=at,
            vendor_response_code=code,
            detail=detail,
        )
        await self._publisher.publish(event)
        log.info("command", command_id=command_id, evse_uid=link.evse_uid, result=result)

    async def close(self, timeout_s: float) -> None:
        """Let tracking finish within the drain window, then give up on the rest."""
        if self._tracking:
            _, pending = await asyncio.wait(set(self._tracking), timeout=timeout_s)
            for task in pending:
                task.cancel()
