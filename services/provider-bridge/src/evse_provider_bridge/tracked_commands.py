"""A vendor command on its way to a final state, and that state once decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evse_contracts.telemetry import CommandLog, CommandResult

from .adapters.base import Command, CommandTicket, DeviceRef
from .events import command_log, command_parameters

__all__ = ["CommandOutcome", "TrackedCommand"]


@dataclass(frozen=True)
class CommandOutcome:
    """A command's final state, decided once: logging it again repeats the same command log."""

    result: CommandResult
    at: datetime
    vendor_response_code: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class TrackedCommand:
    """A vendor command whose final command log is not yet written.

    `ticket` is None until the vendor accepted the command; `outcome` is set once decided.
    """

    command_id: str
    evse_uid: str
    provider: str
    vendor_account_uid: str
    device: DeviceRef
    command: Command
    source: str
    started: datetime
    deadline: datetime
    ticket: CommandTicket | None = None
    outcome: CommandOutcome | None = None

    def log(self, outcome: CommandOutcome) -> CommandLog:
        """The command log saying the command reached `outcome` (`pending` when just sent)."""
        return command_log(
            evse_uid=self.evse_uid,
            command_id=self.command_id,
            command=self.command.name,
            parameters=command_parameters(current_limit_a=self.command.current_limit_a),
            source=self.source,
            result=outcome.result,
            started=self.started,
            at=outcome.at,
            vendor_response_code=outcome.vendor_response_code,
            detail=outcome.detail,
        )
