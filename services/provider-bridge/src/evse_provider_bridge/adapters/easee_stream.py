"""Easee's push stream: the SignalR hub (`streams.easee.com/hubs/chargers`) of one account.

As pyeasee 0.8.21 (`easee.py` `sr_subscribe`, `_sr_callback`) and evcc (`charger/easee.go`,
`easee/dispatcher.go`) use it: `SubscribeWithCurrentState(chargerId, true)` per charger, then
`ProductUpdate` `{mid, dataType, id, timestamp, value}`, one observation per invocation, and
`CommandResponse` `{serialNumber, id, ticks, wasAccepted, resultCode, comment, …}` per command.

An observation alone is a change, not a state: this stream keeps each charger's latest value of
every observation the bridge reads and relays the whole set whenever one of them changes, so a
relayed push always reads as a full status (`EaseeAdapter.read_push`). A change of state (op
mode, current limit, firmware) is relayed at once; readings (power, energy), which change
continually while charging, at most every `readings_interval_s` per charger, each carrying
the latest. Command responses are relayed as they come.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from .signalr import Hub, Invocation

__all__ = ["COMMAND_RESPONSE", "PRODUCT_UPDATE", "EaseeStream"]

PRODUCT_UPDATE, COMMAND_RESPONSE = "ProductUpdate", "CommandResponse"


class EaseeStream:
    """One account's hub connection, as relay-ready push bodies."""

    def __init__(
        self,
        hub: Hub,
        *,
        state_ids: frozenset[int],
        reading_ids: frozenset[int],
        readings_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hub = hub
        self._state_ids = state_ids
        self._read_ids = state_ids | reading_ids
        self._readings_interval_s = readings_interval_s
        self._clock = clock
        self._latest: dict[str, dict[int, dict[str, Any]]] = {}
        self._relayed_at: dict[str, float] = {}

    async def subscribe(self, device_ids: Iterable[str]) -> None:
        for device_id in device_ids:
            await self._hub.invoke("SubscribeWithCurrentState", device_id, True)

    async def ping(self) -> None:
        await self._hub.ping()

    async def pushes(self) -> AsyncIterator[bytes]:
        """Bodies for `webhooks.easee`: `{"target", "arguments"}` as the hub invokes them."""
        async for invocation in self._hub.invocations():
            if invocation.target == PRODUCT_UPDATE:
                for observations in self._changed(invocation):
                    yield _body(PRODUCT_UPDATE, observations)
            elif invocation.target == COMMAND_RESPONSE and invocation.arguments:
                yield _body(COMMAND_RESPONSE, invocation.arguments)

    def _changed(self, invocation: Invocation) -> list[list[dict[str, Any]]]:
        """For each charger due a relay: all of its latest read observations."""
        due: set[str] = set()
        for update in invocation.arguments:
            if not isinstance(update, dict) or update.get("id") not in self._read_ids:
                continue
            if "mid" not in update:
                continue
            charger = str(update["mid"])
            latest = self._latest.setdefault(charger, {})
            if latest.get(update["id"], {}).get("value") == update.get("value"):
                continue
            latest[update["id"]] = update
            since = self._clock() - self._relayed_at.get(charger, float("-inf"))
            if update["id"] in self._state_ids or since >= self._readings_interval_s:
                due.add(charger)
        for charger in due:
            self._relayed_at[charger] = self._clock()
        return [list(self._latest[charger].values()) for charger in sorted(due)]


def _body(target: str, arguments: list[Any]) -> bytes:
    return json.dumps({"target": target, "arguments": arguments}).encode()
