"""The simulated chargers and how their state evolves; vendors render them in their own shape.

A charger's state is one of the normalised telemetry states (`available`, `preparing`,
`charging`, `suspended_ev`, `suspended_evse`, `finishing`, `faulted`, `unavailable`,
`offline`). Unless pinned (by a command or the control API) it follows a fixed daily-ish
cycle, offset per charger so the fleet is never in lockstep: plug in, charge, finish,
unplug, now and then go offline or fault. Energy accrues while charging.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Literal, get_args

from .seed import SEED_CHARGERS, SeedCharger

__all__ = ["CYCLE", "STATES", "Fleet", "SimCharger", "SimCommand", "StateName"]

StateName = Literal[
    "available",
    "preparing",
    "charging",
    "suspended_ev",
    "suspended_evse",
    "finishing",
    "faulted",
    "unavailable",
    "offline",
]
STATES: tuple[str, ...] = get_args(StateName)
CYCLE: tuple[tuple[str, float], ...] = (
    ("available", 120.0),
    ("preparing", 15.0),
    ("charging", 300.0),
    ("suspended_ev", 45.0),
    ("charging", 120.0),
    ("finishing", 20.0),
    ("available", 240.0),
    ("offline", 40.0),
    ("available", 60.0),
    ("faulted", 20.0),
)
_CYCLE_LENGTH = sum(duration for _, duration in CYCLE)
DOTNET_EPOCH_TICKS = 621_355_968_000_000_000
"""100-ns ticks from 0001-01-01 to 1970-01-01."""
_PLUGGED = {"preparing", "charging", "suspended_ev", "suspended_evse", "finishing"}


@dataclass
class SimCharger:
    seed: SeedCharger
    offset_s: float
    pinned_state: str | None = None
    current_limit_a: float = 32.0
    lifetime_wh: float = 1_250_000.0
    session_wh: float = 0.0
    last_seen: float = field(default_factory=time.monotonic)
    state: str = "available"

    @property
    def online(self) -> bool:
        return self.state != "offline"

    @property
    def plugged_in(self) -> bool:
        return self.state in _PLUGGED

    @property
    def power_w(self) -> float:
        return self.current_limit_a * 230.0 if self.state == "charging" else 0.0


@dataclass
class SimCommand:
    command_id: str
    serial_number: str
    accepted: bool
    ready_at: float
    detail: str = ""
    ticks: int = field(default_factory=lambda: time.time_ns() // 100 + DOTNET_EPOCH_TICKS)
    """When it was issued, in .NET ticks (Easee's `ticks`, which its `CommandResponse` echoes)."""


class Fleet:
    """Every simulated charger by vendor and serial, evolving on read."""

    def __init__(self, *, evolve: bool, cycle_scale: float, command_delay_s: float) -> None:
        self.evolve = evolve
        self.cycle_scale = cycle_scale
        self.command_delay_s = command_delay_s
        self.started = time.monotonic()
        self._ids = itertools.count(1)
        self.chargers: dict[str, SimCharger] = {}
        self.commands: dict[str, SimCommand] = {}
        self.reset()

    def reset(self) -> None:
        self.chargers = {c.serial_number: _charger(c) for c in SEED_CHARGERS}
        self.commands = {}
        for charger in self.chargers.values():
            self._advance(charger, time.monotonic())

    def of_vendor(self, vendor: str) -> list[SimCharger]:
        now = time.monotonic()
        chargers = [c for c in self.chargers.values() if c.seed.vendor == vendor]
        for charger in chargers:
            self._advance(charger, now)
        return chargers

    def of_account(self, vendor: str, username: str) -> list[SimCharger]:
        return [c for c in self.of_vendor(vendor) if c.seed.owner == username]

    def find(self, vendor: str, device_id: str) -> SimCharger | None:
        for charger in self.of_vendor(vendor):
            if charger.seed.device_id == device_id:
                return charger
        return None

    def pin(self, serial_number: str, state: str | None) -> SimCharger:
        """Hold a charger in `state` (None: follow the cycle again)."""
        charger = self.chargers[serial_number]
        charger.pinned_state = state
        self._advance(charger, time.monotonic())
        return charger

    def command(
        self, charger: SimCharger, name: str, current_limit_a: float | None = None
    ) -> SimCommand:
        """Act on a charger as its vendor cloud would; the outcome is readable after a delay."""
        accepted, detail = self._apply(charger, name, current_limit_a)
        command = SimCommand(
            f"{next(self._ids)}",
            charger.seed.serial_number,
            accepted,
            time.monotonic() + self.command_delay_s,
            detail,
        )
        self.commands[command.command_id] = command
        return command

    def command_done(self, command_id: str) -> SimCommand | None:
        command = self.commands.get(command_id)
        if command is None or time.monotonic() < command.ready_at:
            return None
        return command

    def _apply(
        self, charger: SimCharger, name: str, current_limit_a: float | None
    ) -> tuple[bool, str]:
        if not charger.online or charger.state in {"faulted", "unavailable"}:
            return False, f"charger is {charger.state}"
        if name == "set_current_limit" and current_limit_a is not None:
            charger.current_limit_a = current_limit_a
            return True, ""
        if not charger.plugged_in:
            return False, "no vehicle connected"
        charger.pinned_state = "charging" if name == "start_charging" else "suspended_evse"
        self._advance(charger, time.monotonic())
        return True, ""

    def _advance(self, charger: SimCharger, now: float) -> None:
        elapsed = max(0.0, now - charger.last_seen)
        if charger.state == "charging":
            energy = charger.power_w * elapsed / 3600
            charger.session_wh += energy
            charger.lifetime_wh += energy
        charger.last_seen = now
        previous = charger.state
        charger.state = charger.pinned_state or (
            self._cycle_state(charger, now) if self.evolve else previous
        )
        if charger.state == "preparing" and previous != "preparing":
            charger.session_wh = 0.0

    def _cycle_state(self, charger: SimCharger, now: float) -> str:
        position = ((now - self.started) / self.cycle_scale + charger.offset_s) % _CYCLE_LENGTH
        for state, duration in CYCLE:
            if position < duration:
                return state
            position -= duration
        return CYCLE[-1][0]


def _charger(seed: SeedCharger) -> SimCharger:
    digest = hashlib.sha256(seed.serial_number.encode()).digest()
    return SimCharger(seed=seed, offset_s=int.from_bytes(digest[:4]) % int(_CYCLE_LENGTH))
