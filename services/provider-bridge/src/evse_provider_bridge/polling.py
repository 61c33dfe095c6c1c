"""The poll loop: lease a due EVSE, read its status, publish it, schedule the next poll.

Leases make replicas share the work: `claim_due` is one `find_one_and_update`, so exactly one
replica wins each due EVSE, and an EVSE whose replica died is claimable again once its lease
ends. A vendor answering 429 / 5xx (or refusing our login) is backed off per account,
exponentially with jitter (at least its `Retry-After`), and for every account on a 429 from a
vendor that counts per address: the EVSEs claimed meanwhile are rescheduled uncalled.

Each EVSE is read through its user's vendor account. The vendor refusing the account's
sign-in (`SignInRefused`) breaks the link (`AccountDesk.broken`): its EVSEs are parked, not
retried against the vendor, until the user relinks. A 403/404 for one charger means the
account lost it: that EVSE alone is parked and reported, unless the account still lists the
charger: then the vendor retired the route (Easee's `/state`), an alert-worthy error. While
a replica holds the account's push stream (`vendor_streams.py`), its EVSEs are polled only as
a safety net (`streamed_poll_interval_s`).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from evse_runtime.leases import work_off

from .account_adapters import AccountAdapters
from .account_store import LinkedAccount
from .accounts import AccountDesk
from .adapters import Adapters
from .adapters.base import DeviceRef
from .adapters.errors import SignInRefused, VendorBudgetSpent, VendorError
from .adapters.payloads import SHAPE_ERRORS
from .budget import budget_wait_limit
from .clock import Clock, utc_now
from .events import error_log, status_log
from .link_store import LinkStore
from .links import PARKED, ProviderLink
from .metrics import POLLS
from .settings import BridgeSettings
from .telemetry_publisher import TelemetryPublisher

__all__ = ["Poller"]

log = structlog.get_logger("evse.bridge.polling")
_BACK_OFF_STATUSES = frozenset({401, 403})
_CHARGER_LOST_STATUSES = frozenset({403, 404})


class Poller:
    def __init__(
        self,
        *,
        links: LinkStore,
        adapters: Adapters,
        account_adapters: AccountAdapters,
        desk: AccountDesk,
        publisher: TelemetryPublisher,
        settings: BridgeSettings,
        clock: Clock = utc_now,
    ) -> None:
        self._links = links
        self._adapters = adapters
        self._account_adapters = account_adapters
        self._desk = desk
        self._publisher = publisher
        self._settings = settings
        self._clock = clock

    async def run(self, stopping: asyncio.Event) -> None:
        """Claim and poll until `stopping`; polls in flight finish before returning."""
        await work_off(
            self._claim,
            self._poll,
            stopping=stopping,
            concurrency=self._settings.max_concurrent_polls,
            idle_wait_s=self._settings.idle_wait_s,
        )

    async def _claim(self) -> ProviderLink | None:
        return await self._links.claim_due(
            now=self._clock(), owner=self._settings.replica_id, lease_s=self._settings.lease_s
        )

    async def _poll(self, link: ProviderLink) -> None:
        vendor = self._settings.vendor(link.provider)
        budget = self._adapters.budgets[link.provider]
        started = self._clock()
        held_s = budget.blocked_for_s(link.vendor_account_uid)
        if held_s > 0:
            await self._links.finish_poll(
                link.evse_uid,
                owner=self._settings.replica_id,
                next_poll_at=started + timedelta(seconds=held_s),
                failures=link.failures,
            )
            return
        linked = await self._account_adapters.linked(link.vendor_account_uid)
        if linked is None:
            await self._park(link)
            return
        account, adapter = linked
        try:
            with budget_wait_limit(self._settings.poll_budget_wait_s):
                status = await adapter.read_status(DeviceRef(link.vendor_device_id, link.context))
        except VendorBudgetSpent:
            # The vendor's shared budget is spoken for: poll later, and free this slot for
            # EVSEs of vendors with budget left (waiting here would starve them).
            POLLS.labels(link.provider, "deferred").inc()
            await self._links.finish_poll(
                link.evse_uid,
                owner=self._settings.replica_id,
                next_poll_at=self._clock() + timedelta(seconds=vendor.poll_interval_s),
                failures=link.failures,
            )
            return
        except SignInRefused as exc:
            await self._publisher.publish(error_log(link.evse_uid, exc, at=self._clock()))
            await self._desk.broken(link.vendor_account_uid, "credentials_rejected")
            await self._park(link)
            return
        except VendorError as exc:
            if exc.http_status == 404 and await self._route_removed(account, link, exc):
                await self._failed(link, exc)
                return
            if exc.http_status in _CHARGER_LOST_STATUSES:
                await self._publisher.publish(error_log(link.evse_uid, exc, at=self._clock()))
                await self._park(link)
                await self._desk.charger_lost(link)
                return
            await self._failed(link, exc)
            return
        except SHAPE_ERRORS as exc:
            error = VendorError(
                link.provider,
                "status",
                "GET",
                "-",
                f"unexpected response shape: {exc!r}",
                retryable=False,
            )
            await self._failed(link, error)
            return
        except Exception:
            log.exception("poll failed", evse_uid=link.evse_uid)
            return
        budget.record_success(link.vendor_account_uid)
        POLLS.labels(link.provider, "ok").inc()
        await self._publisher.publish(
            status_log(link.evse_uid, status, source="poll", at=self._clock())
        )
        await self._links.finish_poll(
            link.evse_uid,
            owner=self._settings.replica_id,
            next_poll_at=started
            + timedelta(
                seconds=vendor.interval_s(
                    charging=status.state == "charging", streamed=account.streamed(started)
                )
            ),
            failures=0,
        )

    async def _route_removed(
        self, account: LinkedAccount, link: ProviderLink, error: VendorError
    ) -> bool:
        """Whether a 404 is the vendor retiring the route rather than the charger leaving the
        account: the account still lists the charger (or its list answers 404 too). Logged
        at ERROR with `alert`: polling would otherwise go on with nothing to show for it."""
        try:
            listed = await self._adapters.directory.find(
                link.provider, account.account, link.serial_number
            )
        except VendorError as listing:
            removed = listing.http_status == 404
        else:
            removed = listed is not None
        if removed:
            log.error(
                "the vendor answers 404 on a known route: removed endpoint?",
                alert="vendor_endpoint_removed",
                provider=link.provider,
                api=error.api,
                method=error.method,
                path=error.url_path,
                evse_uid=link.evse_uid,
            )
        return removed

    async def _park(self, link: ProviderLink) -> None:
        await self._links.finish_poll(
            link.evse_uid, owner=self._settings.replica_id, next_poll_at=PARKED, failures=0
        )

    async def _failed(self, link: ProviderLink, error: VendorError) -> None:
        vendor = self._settings.vendor(link.provider)
        log.warning("vendor call failed", evse_uid=link.evse_uid, error=str(error))
        POLLS.labels(link.provider, "failed").inc()
        delay = vendor.poll_interval_s
        if error.retryable or error.http_status in _BACK_OFF_STATUSES:
            backoff = self._adapters.budgets[link.provider].record_failure(
                link.vendor_account_uid,
                status=error.http_status,
                base_s=vendor.backoff_base_s,
                max_s=vendor.backoff_max_s,
                retry_after_s=error.retry_after_s,
            )
            delay = max(delay, backoff)
        await self._publisher.publish(error_log(link.evse_uid, error, at=self._clock()))
        await self._links.finish_poll(
            link.evse_uid,
            owner=self._settings.replica_id,
            next_poll_at=self._clock() + timedelta(seconds=delay),
            failures=link.failures + 1,
        )
