"""Token revocation (review L6): a reset secret or a deleted user ends older tokens within
`revocation_check_s`; an event stream ends when its token expires."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest_asyncio
from pymongo.asynchronous.database import AsyncDatabase

from evse_contracts.auth import Principal
from evse_contracts.onboarding import SCOPES
from evse_devstack.keys import KeyPair
from evse_onboarding.identity import register_application
from evse_onboarding.identity_store import MongoIdentityStore
from evse_onboarding.tokens import TokenSigner, load_private_key
from evse_runtime.mongo import open_database
from tests.utils.factories import Tenant, create_tenant
from tests.utils.services import running_gateway, running_onboarding

DATABASE = "test_token_revocation"
ATTEMPTS = 200


@dataclass(frozen=True)
class Stack:
    http: httpx.AsyncClient
    db: AsyncDatabase[dict[str, object]]
    keys: KeyPair


@pytest_asyncio.fixture(scope="module")
async def stack(nats_url: str, mongodb_url: str, keys: KeyPair) -> AsyncIterator[Stack]:
    async with open_database(mongodb_url, DATABASE) as db:
        await db.client.drop_database(DATABASE)
        await MongoIdentityStore(db).ensure_indexes()
        async with (
            running_onboarding(
                nats_url=nats_url, mongodb_url=mongodb_url, database=DATABASE, keys=keys
            ),
            running_gateway(
                nats_url=nats_url,
                jwt_public_key_file=keys.public_key_file,
                revocation_check_s=0.2,
            ) as base_url,
            httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        ):
            yield Stack(http, db, keys)


def token(keys: KeyPair, principal: Principal, *, issued: datetime, ttl_s: int = 3600) -> str:
    signer = TokenSigner(load_private_key(keys.private_key_file), "evse-platform", ttl_s=ttl_s)
    return signer.issue(principal, now=issued).access_token


def of_app(tenant: Tenant) -> Principal:
    return Principal(kind="application", application_uid=tenant.application_uid, scopes=SCOPES)


async def refused_eventually(stack: Stack, bearer: str) -> httpx.Response:
    for _ in range(ATTEMPTS):
        answer = await stack.http.get("/v2/evses", headers={"Authorization": f"Bearer {bearer}"})
        if answer.status_code == 401:
            return answer
        assert answer.status_code == 200, answer.text
        await asyncio.sleep(0.05)
    raise AssertionError("the token was never refused")


async def test_a_reset_secret_ends_the_tokens_issued_before_it(stack: Stack) -> None:
    store = MongoIdentityStore(stack.db)
    tenant = await create_tenant(store, "reset")
    now = datetime.now(UTC)
    await stack.db["applications"].update_one(  # an application with some history
        {"_id": tenant.application_uid},
        {"$set": {"tokens_valid_after": now - timedelta(hours=1)}},
    )
    old = token(stack.keys, of_app(tenant), issued=now - timedelta(minutes=1))
    headers = {"Authorization": f"Bearer {old}"}
    assert (await stack.http.get("/v2/evses", headers=headers)).status_code == 200
    application = await store.application(tenant.application_uid)
    assert application is not None
    await register_application(
        store=store,
        name=application.name,
        client_id=application.client_id,
        client_secret="a-new-secret-of-enough-length-0123456789",
        onboarding_redirect_url=application.onboarding_redirect_url,
        program_id=None,
        now=now,
    )
    refused = await refused_eventually(stack, old)
    assert "revoked" in refused.json()["detail"]
    fresh = token(stack.keys, of_app(tenant), issued=now)
    answer = await stack.http.get("/v2/evses", headers={"Authorization": f"Bearer {fresh}"})
    assert answer.status_code == 200


async def test_a_deleted_user_or_application_ends_its_tokens(stack: Stack) -> None:
    store = MongoIdentityStore(stack.db)
    tenant = await create_tenant(store, "deleted")
    user = Principal(
        kind="user",
        application_uid=tenant.application_uid,
        user_uid=tenant.user_uid,
        scopes=SCOPES,
    )
    user_token = token(stack.keys, user, issued=datetime.now(UTC))
    app_token = token(stack.keys, of_app(tenant), issued=datetime.now(UTC))
    await stack.db["users"].delete_one({"_id": tenant.user_uid})
    await refused_eventually(stack, user_token)
    await stack.db["applications"].delete_one({"_id": tenant.application_uid})
    await refused_eventually(stack, app_token)


async def test_an_event_stream_ends_when_its_token_expires(stack: Stack) -> None:
    tenant = await create_tenant(MongoIdentityStore(stack.db), "stream")
    short = token(stack.keys, of_app(tenant), issued=datetime.now(UTC), ttl_s=2)
    lines = []
    async with stack.http.stream(
        "GET", "/v2/events", headers={"Authorization": f"Bearer {short}"}, timeout=30
    ) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():  # ends when the server closes the stream
            lines.append(line)
    assert "event: token_expired" in lines
