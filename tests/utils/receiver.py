"""A webhook receiver for tests: records signed batches, fails on demand, verifies like a client."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from evse_contracts.notifications import SIGNATURE_HEADER


def verify(secret: str, header: str, body: bytes, tolerance_s: int = 300) -> bool:
    """The verification the API documentation gives clients, verbatim."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp, signature = parts["t"], parts["v1"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    fresh = abs(time.time() - int(timestamp)) <= tolerance_s
    return fresh and hmac.compare_digest(expected.hexdigest(), signature)


@dataclass
class Delivery:
    signature: str
    body: bytes

    @property
    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = json.loads(self.body)["events"]
        return events


@dataclass
class Receiver:
    """Answers 500 to the first `failures` requests (or to all with `always_fail`), then 204,
    recording each batch it took."""

    failures: int = 0
    always_fail: bool = False
    accepted: list[Delivery] = field(default_factory=list)
    refused: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        if self.always_fail or self.refused < self.failures:
            self.refused += 1
            await Response(status_code=500)(scope, receive, send)
            return
        self.accepted.append(Delivery(request.headers.get(SIGNATURE_HEADER, ""), body))
        await Response(status_code=204)(scope, receive, send)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for delivery in self.accepted for event in delivery.events]

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == event_type]
