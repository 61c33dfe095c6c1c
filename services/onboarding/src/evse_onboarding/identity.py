"""Applications and their users: who they are, and the tokens they get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from evse_contracts.auth import Principal
from evse_contracts.ids import new_uid
from evse_contracts.onboarding import AccessToken, IssueToken, TokenHolder, TokenValidity

from .credentials import SecretChecker, hash_secret
from .errors import InvalidClient, InvalidGrant, UserTokenRequired
from .tokens import TokenSigner, granted_scopes

if TYPE_CHECKING:  # annotations only: the store imports Application and User from here
    from .identity_store import IdentityStore

__all__ = [
    "Application",
    "User",
    "issue_token",
    "register_application",
    "register_user",
    "require_user",
    "token_validity",
]


@dataclass(frozen=True)
class Application:
    uid: str
    name: str
    client_id: str
    client_secret_hash: str
    onboarding_redirect_url: str
    program_id: str | None
    created_at: datetime
    tokens_valid_after: datetime | None = None
    """Set when the secret is reset: tokens issued before it no longer work."""


@dataclass(frozen=True)
class User:
    uid: str
    application_uid: str
    email: str
    created_at: datetime


async def issue_token(
    *,
    store: IdentityStore,
    signer: TokenSigner,
    checker: SecretChecker,
    request: IssueToken,
    now: datetime,
) -> AccessToken:
    """Client credentials → an application token, or a user token with `user_uid`."""
    application = await store.application_by_client_id(request.client_id)
    stored = None if application is None else application.client_secret_hash
    if not await checker.check(request.client_secret, stored) or application is None:
        raise InvalidClient()
    scopes = granted_scopes(request.scope)
    if request.user_uid is None:
        principal = Principal(kind="application", application_uid=application.uid, scopes=scopes)
        return signer.issue(principal, now=now)
    user = await store.user(request.user_uid)
    if user is None or user.application_uid != application.uid:
        raise InvalidGrant(f"the application has no user {request.user_uid!r}")
    principal = Principal(
        kind="user", application_uid=application.uid, user_uid=user.uid, scopes=scopes
    )
    return signer.issue(principal, now=now)


async def token_validity(*, store: IdentityStore, holder: TokenHolder) -> TokenValidity:
    """Whether the holder's tokens still stand (review L6): revoked when the application or
    user is gone, or when issued before the application's secret was last reset."""
    application = await store.application(holder.application_uid)
    if application is None:
        return TokenValidity(revoked=True)
    if holder.user_uid is not None:
        user = await store.user(holder.user_uid)
        if user is None or user.application_uid != application.uid:
            return TokenValidity(revoked=True)
    return TokenValidity(valid_after=application.tokens_valid_after)


async def require_user(principal: Principal, store: IdentityStore) -> User:
    """The user a user token acts for; `UserTokenRequired` for an application token, or for a
    user who is gone or not the token's application's."""
    if principal.kind != "user" or principal.user_uid is None:
        raise UserTokenRequired()
    user = await store.user(principal.user_uid)
    if user is None or user.application_uid != principal.application_uid:
        raise UserTokenRequired()
    return user


async def register_application(
    *,
    store: IdentityStore,
    name: str,
    client_id: str,
    client_secret: str,
    onboarding_redirect_url: str,
    program_id: str | None,
    now: datetime,
) -> Application:
    """Create the application, or reset the one with that client id to these values."""
    return await store.save_application(
        Application(
            uid=new_uid("app"),
            name=name,
            client_id=client_id,
            client_secret_hash=hash_secret(client_secret),
            onboarding_redirect_url=onboarding_redirect_url,
            program_id=program_id,
            created_at=now,
            tokens_valid_after=now,  # a reset secret ends the tokens issued with the old one
        )
    )


async def register_user(
    *, store: IdentityStore, application: Application, email: str, now: datetime
) -> User:
    """Create the user, or return the application's user that has this email already."""
    return await store.save_user(
        User(
            uid=new_uid("user"),
            application_uid=application.uid,
            email=email.strip().lower(),
            created_at=now,
        )
    )
