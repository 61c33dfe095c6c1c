"""Access tokens for tests, signed with the session's key as onboarding would sign them."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from evse_contracts.auth import Principal
from evse_contracts.onboarding import SCOPES
from evse_devstack.keys import KeyPair
from evse_onboarding.tokens import TokenSigner, load_private_key
from tests.utils.factories import Tenant


def bearer(keys: KeyPair, principal: Principal) -> dict[str, str]:
    """An `Authorization` header carrying a token for `principal`."""
    signer = TokenSigner(
        load_private_key(keys.private_key_file), issuer="evse-platform", ttl_s=3600
    )
    token = signer.issue(principal, now=datetime.now(UTC)).access_token
    return {"Authorization": f"Bearer {token}"}


def application_bearer(keys: KeyPair, application_uid: str) -> dict[str, str]:
    return bearer(
        keys, Principal(kind="application", application_uid=application_uid, scopes=SCOPES)
    )


async def issued_token(client: httpx.AsyncClient, tenant: Tenant, **extra: str) -> str:
    """A token from the gateway's `POST /v2/oauth/token` for `tenant` (`user_uid=`, `scope=`)."""
    response = await client.post(
        "/v2/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            **extra,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
