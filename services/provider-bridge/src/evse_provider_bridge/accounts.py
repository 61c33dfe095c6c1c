"""Users' vendor account links: sign in at the vendor, keep the link's health, unlink, relink.

A link's states: `linked` → `broken` (the vendor refused the account's credentials, or the
account lost a charger; its EVSEs are parked, one `evses.events.link_broken` per EVSE) →
`linked` again when the user signs in anew (the same link: its EVSEs resume polling, one
`evses.events.link_restored` each). `unlinked` erases the credentials and parks the EVSEs;
signing in again later relinks the same EVSEs. Wrong credentials leave nothing stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from nats.js import JetStreamContext

from evse_contracts.base import Contract
from evse_contracts.bridge import CLOUD_PROVIDERS, OCPP_PROVIDERS
from evse_contracts.ids import new_uid
from evse_contracts.vendor_accounts import (
    EVSE_LINK_BROKEN,
    EVSE_LINK_RESTORED,
    EvseLinkBroken,
    EvseLinkRestored,
    LinkBrokenReason,
    LinkVendorAccount,
    ListVendorAccounts,
    VendorAccountLink,
    VendorAccountLinks,
    VendorAccountRef,
)

from .account_store import AccountStore, LinkedAccount
from .adapters import Adapters
from .adapters.base import VendorAccount
from .adapters.errors import SignInRefused, VendorBudgetSpent, VendorError
from .adapters.payloads import SHAPE_ERRORS
from .adapters.token_adapter import token_key
from .clock import Clock, utc_now
from .errors import (
    ProviderBusy,
    ProviderUnavailable,
    UnsupportedProvider,
    VendorAccountNotFound,
    VendorCredentialsRejected,
)
from .link_store import LinkStore
from .links import ProviderLink

__all__ = ["AccountDesk"]

log = structlog.get_logger("evse.bridge.accounts")


class AccountDesk:
    def __init__(
        self,
        *,
        js: JetStreamContext,
        links: LinkStore,
        accounts: AccountStore,
        adapters: Adapters,
        clock: Clock = utc_now,
    ) -> None:
        self._js = js
        self._links = links
        self._accounts = accounts
        self._adapters = adapters
        self._clock = clock

    async def link(self, request: LinkVendorAccount) -> VendorAccountLink:
        """Sign in at the vendor as the user; store the link only if the vendor accepts."""
        provider = request.provider.strip().lower()
        if provider not in CLOUD_PROVIDERS:
            raise UnsupportedProvider(provider, supported=CLOUD_PROVIDERS, ocpp=OCPP_PROVIDERS)
        existing = await self._accounts.find(request.application_uid, request.user_uid, provider)
        uid = new_uid("vacct") if existing is None else existing.uid
        credentials = {"username": request.username.strip(), "password": request.password}
        # A fresh sign-in, never the old token: the vault entry is replaced on success.
        await self._links.forget_token(token_key(provider, uid))
        self._adapters.forget(provider, uid)
        await self._sign_in(provider, VendorAccount(uid, credentials), request.username)
        at = self._clock()
        account = await self._accounts.save_linked(
            LinkedAccount(
                uid=uid,
                application_uid=request.application_uid,
                user_uid=request.user_uid,
                provider=provider,
                username=credentials["username"],
                state="linked",
                linked_at=at,
                updated_at=at,
                credentials=credentials,
            )
        )
        # Relinking resumes every parked EVSE of the account (also one whose charger went
        # missing); a double submit finds none parked and announces nothing.
        if existing is not None:
            await self._restore(account)
        log.info("vendor account linked", vendor_account_uid=uid, provider=provider)
        return await self._view(account)

    async def list_links(self, request: ListVendorAccounts) -> VendorAccountLinks:
        accounts = await self._accounts.of_user(request.application_uid, request.user_uid)
        return VendorAccountLinks(
            data=tuple(
                [
                    await self._view(a)
                    for a in accounts
                    if a.state != "unlinked" and request.provider in (None, a.provider)
                ]
            )
        )

    async def get(self, request: VendorAccountRef) -> VendorAccountLink:
        return await self._view(await self._owned(request))

    async def unlink(self, request: VendorAccountRef) -> VendorAccountLink:
        """Erase the credentials and the vendor's tokens; stop polling the account's EVSEs."""
        account = await self._owned(request)
        await self._links.park_account(account.uid)
        await self._links.forget_token(token_key(account.provider, account.uid))
        self._adapters.forget(account.provider, account.uid)
        unlinked = await self._accounts.mark_unlinked(account.uid, at=self._clock())
        log.info("vendor account unlinked", vendor_account_uid=account.uid)
        if unlinked is not None:
            await self._announce_broken(unlinked, "account_unlinked")
        return await self._view(unlinked or account)

    async def broken(self, account_uid: str, reason: LinkBrokenReason) -> None:
        """The vendor refused the account: park its EVSEs and tell each EVSE's client once."""
        account = await self._accounts.mark_broken(account_uid, reason=reason, at=self._clock())
        await self._links.park_account(account_uid)
        if account is None:
            return  # already broken or unlinked: announced then
        log.warning("vendor account link broken", vendor_account_uid=account_uid, reason=reason)
        await self._announce_broken(account, reason)

    async def _announce_broken(self, account: LinkedAccount, reason: LinkBrokenReason) -> None:
        for link in await self._links.links_of_account(account.uid):
            await self._announce_link_broken(link, reason, at=account.updated_at)

    async def charger_lost(self, link: ProviderLink) -> None:
        """The account no longer sees this EVSE's charger (the poller parked it)."""
        if await self._accounts.get(link.vendor_account_uid) is not None:
            await self._announce_link_broken(link, "charger_not_in_account", at=self._clock())

    async def _announce_link_broken(
        self, link: ProviderLink, reason: LinkBrokenReason, *, at: datetime
    ) -> None:
        event = EvseLinkBroken(
            evse_uid=link.evse_uid,
            application_uid=link.application_uid,
            user_uid=link.user_uid,
            provider=link.provider,
            vendor_account_uid=link.vendor_account_uid,
            reason=reason,
            occurred_at=at,
        )
        await self._announce(EVSE_LINK_BROKEN, event, link, at)

    async def _restore(self, account: LinkedAccount) -> None:
        for link in await self._links.resume_account(account.uid, at=self._clock()):
            event = EvseLinkRestored(
                evse_uid=link.evse_uid,
                application_uid=link.application_uid,
                user_uid=link.user_uid,
                provider=link.provider,
                vendor_account_uid=account.uid,
                occurred_at=account.updated_at,
            )
            await self._announce(EVSE_LINK_RESTORED, event, link, account.updated_at)

    async def _announce(
        self, subject: str, event: Contract, link: ProviderLink, at: datetime
    ) -> None:
        msg_id = f"{subject}:{link.evse_uid}:{at.isoformat()}"
        await self._js.publish(
            subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id}
        )

    async def _sign_in(self, provider: str, account: VendorAccount, username: str) -> None:
        try:
            await self._adapters.for_account(provider, account).list_devices()
        except VendorBudgetSpent as exc:
            raise ProviderBusy(provider) from exc
        except SignInRefused as exc:
            self._adapters.forget(provider, account.key)
            raise VendorCredentialsRejected(provider, username) from exc
        except VendorError as exc:
            self._adapters.forget(provider, account.key)
            raise ProviderUnavailable(provider, str(exc)) from exc
        except SHAPE_ERRORS as exc:
            self._adapters.forget(provider, account.key)
            raise ProviderUnavailable(provider, f"unexpected response shape ({exc!r})") from exc

    async def _owned(self, request: VendorAccountRef) -> LinkedAccount:
        account = await self._accounts.get(request.vendor_account_uid)
        if (
            account is None
            or account.application_uid != request.application_uid
            or account.user_uid != request.user_uid
            or account.state == "unlinked"
        ):
            raise VendorAccountNotFound(request.vendor_account_uid)
        return account

    async def _view(self, account: LinkedAccount) -> VendorAccountLink:
        links: Sequence[ProviderLink] = await self._links.links_of_account(account.uid)
        return VendorAccountLink(
            uid=account.uid,
            provider=account.provider,
            username=account.username,
            state=account.state,
            reason=account.reason,
            evse_uids=tuple(link.evse_uid for link in links),
            linked_at=account.linked_at,
            updated_at=account.updated_at,
        )
