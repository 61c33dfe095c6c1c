"""Vendor push streams: one per linked account at a vendor that pushes, held by one replica.

A replica leases an account's stream (`AccountStore.claim_stream`), opens it through the
account's adapter, subscribes every charger linked through the account, and relays each push to
`webhooks.<provider>` in `WEBHOOKS`: the path every push takes, read by `webhooks.py` on any
replica. It subscribes chargers linked since when told (`BRIDGE_STREAMS_CHANGED`, from whichever
replica linked one) and at least every `stream_check_s`, when it also renews the lease. A
stream that fails is given up with the account's own back-off; polling carries on meanwhile
(slowed only while a stream is up). A stopping replica hands its streams back at once.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol, runtime_checkable

import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from evse_contracts.bridge import BRIDGE_STREAMS_CHANGED, STREAMED_PROVIDERS, webhook_subject
from evse_runtime.backoff import Backoff
from evse_runtime.leases import work_off

from .account_adapters import AccountAdapters
from .account_store import AccountStore, LinkedAccount
from .adapters.errors import VendorError
from .adapters.signalr import HubClosed
from .clock import Clock, utc_now
from .link_store import LinkStore
from .links import PARKED
from .settings import BridgeSettings

__all__ = ["PushStream", "StreamKeeper", "StreamingAdapter"]

log = structlog.get_logger("evse.bridge.streams")
Ended = Literal["stopping", "lease lost"]


class PushStream(Protocol):
    async def subscribe(self, device_ids: Iterable[str]) -> None: ...
    def pushes(self) -> AsyncIterator[bytes]:
        """Relay-ready bodies for `webhooks.<provider>`, until the stream fails (`HubClosed`)."""
        ...


@dataclass
class _Relayed:
    count: int = 0


@runtime_checkable
class StreamingAdapter(Protocol):
    def open_stream(self) -> AbstractAsyncContextManager[PushStream]: ...


class StreamKeeper:
    def __init__(
        self,
        *,
        nc: NatsClient,
        js: JetStreamContext,
        links: LinkStore,
        accounts: AccountStore,
        account_adapters: AccountAdapters,
        settings: BridgeSettings,
        clock: Clock = utc_now,
    ) -> None:
        self._nc = nc
        self._js = js
        self._links = links
        self._accounts = accounts
        self._account_adapters = account_adapters
        self._settings = settings
        self._clock = clock
        self._owner = settings.replica_id
        self._stopping = asyncio.Event()
        self._changed: dict[str, asyncio.Event] = {}
        """Per account streamed here: set when a charger was linked to it."""

    async def linked(self, provider: str, vendor_account_uid: str) -> None:
        """Tell the replica streaming the account (if any) that a charger was linked to it."""
        if provider in STREAMED_PROVIDERS:
            await self._nc.publish(BRIDGE_STREAMS_CHANGED, vendor_account_uid.encode())

    async def on_changed(self, msg: Msg) -> None:
        changed = self._changed.get(msg.data.decode(errors="replace"))
        if changed is not None:
            changed.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Hold up to `max_streams` streams until `stopping`, then hand them back."""
        self._stopping = stopping
        await work_off(
            self._claim,
            self._hold,
            stopping=stopping,
            concurrency=self._settings.max_streams,
            idle_wait_s=self._settings.idle_wait_s,
        )

    async def _claim(self) -> LinkedAccount | None:
        return await self._accounts.claim_stream(
            now=self._clock(), owner=self._owner, lease_s=self._settings.lease_s
        )

    async def _hold(self, account: LinkedAccount) -> None:
        adapter = self._account_adapters.acting_for(account)
        if not isinstance(adapter, StreamingAdapter):
            await self._release(account, next_due=PARKED, failures=0)
            return
        relayed = _Relayed()
        try:
            async with adapter.open_stream() as stream:
                log.info("vendor stream open", account=account.uid, provider=account.provider)
                ended = await self._relay(account, stream, relayed)
        except (HubClosed, VendorError, OSError) as exc:
            # An account that streamed a while starts its back-off again.
            failures = 1 if relayed.count else account.stream_failures + 1
            vendor = self._settings.vendor(account.provider)
            delay = Backoff(vendor.backoff_base_s, vendor.backoff_max_s).delay(
                failures, retry_after_s=getattr(exc, "retry_after_s", None)
            )
            log.warning(
                "vendor stream lost",
                account=account.uid,
                provider=account.provider,
                error=str(exc)[:300],
                relayed=relayed.count,
                retry_in_s=round(delay, 1),
            )
            await self._release(
                account, next_due=self._clock() + timedelta(seconds=delay), failures=failures
            )
            return
        log.info("vendor stream closed", account=account.uid, reason=ended, relayed=relayed.count)
        if ended == "stopping":
            await self._release(account, next_due=self._clock(), failures=0)

    async def _relay(self, account: LinkedAccount, stream: PushStream, relayed: _Relayed) -> Ended:
        """Relay pushes while keeping the lease, until stopping or the lease is lost."""
        subject = webhook_subject(account.provider)

        async def forward() -> None:
            async for body in stream.pushes():
                digest = hashlib.sha256(body).hexdigest()[:32]
                await self._js.publish(
                    subject, body, headers={"Nats-Msg-Id": f"{subject}:{digest}"}
                )
                relayed.count += 1
            raise HubClosed("the stream ended")

        forwarding = asyncio.create_task(forward())
        keeping = asyncio.create_task(self._keep(account, stream))
        try:
            await asyncio.wait({forwarding, keeping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (forwarding, keeping):
                task.cancel()
            await asyncio.gather(forwarding, keeping, return_exceptions=True)
        if keeping.done() and not keeping.cancelled() and keeping.exception() is None:
            return keeping.result()
        failed = forwarding if forwarding.done() and not forwarding.cancelled() else keeping
        error = failed.exception()
        raise error if error is not None else HubClosed("the stream ended")

    async def _keep(self, account: LinkedAccount, stream: PushStream) -> Ended:
        """Subscribe the account's chargers (new ones each round) and renew the lease."""
        changed = self._changed[account.uid] = asyncio.Event()
        try:
            return await self._rounds(account, stream, changed)
        finally:
            del self._changed[account.uid]

    async def _rounds(
        self, account: LinkedAccount, stream: PushStream, changed: asyncio.Event
    ) -> Ended:
        subscribed: set[str] = set()
        while True:
            changed.clear()
            links = await self._links.links_of_account(account.uid)
            new = sorted({link.vendor_device_id for link in links} - subscribed)
            if new:
                await stream.subscribe(new)
                subscribed.update(new)
            renewed = await self._accounts.renew_stream(
                account.uid, owner=self._owner, now=self._clock(), lease_s=self._settings.lease_s
            )
            if not renewed:
                return "lease lost"
            woken = [asyncio.create_task(e.wait()) for e in (self._stopping, changed)]
            await asyncio.wait(
                woken, timeout=self._settings.stream_check_s, return_when=asyncio.FIRST_COMPLETED
            )
            for task in woken:
                task.cancel()
            if self._stopping.is_set():
                return "stopping"

    async def _release(self, account: LinkedAccount, *, next_due: datetime, failures: int) -> None:
        await self._accounts.release_stream(
            account.uid, owner=self._owner, next_due=next_due, failures=failures
        )
