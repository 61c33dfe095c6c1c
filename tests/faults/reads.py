"""Catalogue reads through gateways under a fault, each response counted by its outcome."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import httpx

from evse_catalogue.seed import load_seed
from tests.utils.problems import PROBLEM_JSON

__all__ = ["CLIENTS", "Load", "outcome"]

CLIENTS = 16
MODEL_UID = load_seed()["evse_models"][0]["uid"]


@dataclass
class Load:
    """Reads spread over the gateways, each response counted by status and problem type."""

    client: httpx.AsyncClient
    gateways: list[str]
    sent: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    async def run(self, requests: int, until: asyncio.Event | None = None) -> None:
        """Send `requests` reads from `CLIENTS` clients at once, and go on until `until` is
        set if given."""

        async def worker() -> None:
            while self.sent < requests or (until is not None and not until.is_set()):
                self.sent += 1
                gateway = self.gateways[self.sent % len(self.gateways)]
                response = await self.client.get(f"{gateway}/v2/evse_models/{MODEL_UID}")
                self.outcomes[outcome(response)] += 1

        self.sent = 0
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))


def outcome(response: httpx.Response) -> str:
    if response.status_code < 300:
        return str(response.status_code)
    if response.headers.get("content-type") != PROBLEM_JSON:
        return f"{response.status_code} not a problem"
    slug = str(response.json()["type"]).rsplit("/", 1)[-1]
    return f"{response.status_code} {slug}"
