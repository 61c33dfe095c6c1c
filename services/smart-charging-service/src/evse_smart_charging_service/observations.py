"""The latest status of every EVSE in a site or plan, from the TELEMETRY stream.

Status logs give the plug, charging state, limit, power and session energy; a confirmed
`set_current_limit` command log gives the limit at once, before the next status poll. A plug
change or a confirmed limit hurries the member's site to a control cycle now: a car plugging in
is balanced, and a raise follows the lowerings it waited for, without waiting out the control
interval.
"""

from __future__ import annotations

from datetime import UTC, datetime

from nats.aio.msg import Msg
from pydantic import ValidationError

from evse_contracts.telemetry import CommandLog, StatusLog
from evse_runtime.consumers import MessageHandler, Poison

from .store import SmartChargingStore

__all__ = ["FILTER_SUBJECT", "observer"]

FILTER_SUBJECT = "telemetry.events.>"
_KINDS = frozenset({"status", "command"})


def observer(store: SmartChargingStore) -> MessageHandler:
    async def observe(msg: Msg) -> None:
        kind = msg.subject.split(".")[2]
        if kind not in _KINDS:
            return
        try:
            event = (StatusLog if kind == "status" else CommandLog).model_validate_json(msg.data)
        except ValidationError as exc:
            raise Poison(f"not a {kind} log: {exc.error_count()} errors") from exc
        if isinstance(event, CommandLog):
            limit = event.parameters.get("current_limit_a")
            if event.result == "confirmed" and isinstance(limit, int | float):
                await store.confirm_limit(event.evse_uid, float(limit))
                await store.hurry_sites_of(event.evse_uid, datetime.now(UTC))
            return
        fields = {
            "plugged_in": event.plugged_in,
            "charging": event.state == "charging",
            "power_w": event.power_w,
            "session_energy_wh": event.session_energy_wh,
        }
        if event.current_limit_a is not None:  # OCPP status notifications carry none
            fields["current_limit_a"] = event.current_limit_a
        if await store.observe(event.evse_uid, fields, event.sampled_at):
            await store.hurry_sites_of(event.evse_uid, datetime.now(UTC))

    return observe
