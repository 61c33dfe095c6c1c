"""One small function per onboarding subject."""

from __future__ import annotations

from datetime import UTC, datetime

from evse_contracts.onboarding import TOKENS_ISSUE, AccessToken, IssueToken
from evse_runtime.responders import RequestContext
from evse_runtime.service import Runtime

from .identity import issue_token
from .store import IdentityStore
from .tokens import TokenSigner

__all__ = ["register_handlers"]


def register_handlers(runtime: Runtime, *, identities: IdentityStore, signer: TokenSigner) -> None:
    async def issue(request: IssueToken, _: RequestContext) -> AccessToken:
        return await issue_token(
            store=identities, signer=signer, request=request, now=datetime.now(UTC)
        )

    runtime.respond(TOKENS_ISSUE, issue)
