"""Which vendor adapter acts for a user's linked account: decided here, for polls, commands
and streams alike."""

from __future__ import annotations

from .account_store import AccountStore, LinkedAccount
from .adapters import Adapters
from .adapters.base import ProviderAdapter

__all__ = ["AccountAdapters"]


class AccountAdapters:
    def __init__(self, *, accounts: AccountStore, adapters: Adapters) -> None:
        self._accounts = accounts
        self._adapters = adapters

    def acting_for(self, account: LinkedAccount) -> ProviderAdapter | None:
        """The adapter acting for `account`; None unless it is linked to a cloud vendor."""
        if account.state != "linked" or account.provider not in self._adapters:
            return None
        return self._adapters.for_account(account.provider, account.account)

    async def linked(self, vendor_account_uid: str) -> tuple[LinkedAccount, ProviderAdapter] | None:
        """The linked account and its adapter; None if the link is broken or unlinked."""
        account = await self._accounts.get(vendor_account_uid)
        adapter = None if account is None else self.acting_for(account)
        return None if account is None or adapter is None else (account, adapter)

    async def adapter_for(self, vendor_account_uid: str) -> ProviderAdapter | None:
        """The adapter acting for a linked account; None if the link is broken or unlinked."""
        linked = await self.linked(vendor_account_uid)
        return None if linked is None else linked[1]
