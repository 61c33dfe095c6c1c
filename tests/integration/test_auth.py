"""Tokens: issued by onboarding over the bus, verified by the gateway with the public key."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evse_contracts.auth import TOKEN_AUDIENCE
from evse_devstack.keys import KeyPair, ensure_keypair
from evse_onboarding.tokens import load_private_key
from tests.utils.databases import fresh_database
from tests.utils.factories import Tenant, create_tenant, identity_store
from tests.utils.problems import assert_problem
from tests.utils.services import running_catalogue, running_gateway, running_onboarding


@dataclass(frozen=True)
class Api:
    client: httpx.AsyncClient
    base_url: str
    alice: Tenant
    bob: Tenant


@pytest_asyncio.fixture(scope="module")
async def api(nats_url: str, mongodb_url: str, keys: KeyPair) -> AsyncIterator[Api]:
    database = fresh_database("test_auth_api")
    async with identity_store(mongodb_url, database) as store:
        alice, bob = await create_tenant(store, "alice"), await create_tenant(store, "bob")
    async with (
        running_onboarding(
            nats_url=nats_url, mongodb_url=mongodb_url, database=database, keys=keys
        ),
        running_catalogue(
            nats_url=nats_url, mongodb_url=mongodb_url, database=fresh_database("test_auth_cat")
        ),
        running_gateway(nats_url=nats_url, jwt_public_key_file=keys.public_key_file) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        yield Api(client, base_url, alice, bob)


async def token_response(api: Api, **form: str) -> httpx.Response:
    return await api.client.post("/v2/oauth/token", data=form)


def claims(api: Api, keys: KeyPair, token: str) -> dict[str, object]:
    public_key = load_private_key(keys.private_key_file).public_key()
    decoded: dict[str, object] = jwt.decode(
        token, public_key, algorithms=["EdDSA"], audience=TOKEN_AUDIENCE, issuer="evse-platform"
    )
    return decoded


async def test_client_credentials_give_an_application_token(api: Api, keys: KeyPair) -> None:
    response = await token_response(
        api, grant_type="client_credentials", client_id="alice-client", client_secret="alice-secret"
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    decoded = claims(api, keys, body["access_token"])
    assert decoded["kind"] == "application"
    assert decoded["app"] == decoded["sub"] == api.alice.application_uid
    assert body["scope"] == "evses:read evses:write onboarding" == decoded["scope"]


async def test_client_may_authenticate_with_http_basic(api: Api) -> None:
    basic = base64.b64encode(b"alice-client:alice-secret").decode()
    response = await api.client.post(
        "/v2/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text


async def test_application_gets_a_token_for_its_own_user(api: Api, keys: KeyPair) -> None:
    response = await token_response(
        api,
        grant_type="client_credentials",
        client_id="alice-client",
        client_secret="alice-secret",
        user_uid=api.alice.user_uid,
    )
    decoded = claims(api, keys, response.json()["access_token"])
    assert decoded["kind"] == "user" and decoded["sub"] == api.alice.user_uid
    assert decoded["app"] == api.alice.application_uid


async def test_application_cannot_get_a_token_for_another_applications_user(api: Api) -> None:
    response = await token_response(
        api,
        grant_type="client_credentials",
        client_id="alice-client",
        client_secret="alice-secret",
        user_uid=api.bob.user_uid,
    )
    assert_problem(response, 400, "invalid-grant")


async def test_a_token_can_be_narrowed_but_not_widened(api: Api) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "bob-client",
        "client_secret": "bob-secret",
    }
    narrowed = await token_response(api, **form, scope="evses:read")
    assert narrowed.json()["scope"] == "evses:read"
    assert_problem(
        await token_response(api, **form, scope="evses:read admin"), 400, "invalid-scope"
    )


@pytest.mark.parametrize(
    ("client_id", "secret"), [("alice-client", "wrong"), ("nobody", "alice-secret")]
)
async def test_wrong_client_credentials_are_a_401(api: Api, client_id: str, secret: str) -> None:
    response = await token_response(
        api, grant_type="client_credentials", client_id=client_id, client_secret=secret
    )
    assert_problem(response, 401, "invalid-client")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_unknown_and_known_client_ids_get_the_same_answer(api: Api) -> None:
    answers = [
        await token_response(
            api, grant_type="client_credentials", client_id=client_id, client_secret="wrong"
        )
        for client_id in ("alice-client", "nobody-client")
    ]
    bodies = [answer.json() for answer in answers]
    for body in bodies:
        del body["request_id"]
    assert bodies[0] == bodies[1]
    assert [answer.headers.get("retry-after") for answer in answers] == [None, None]


async def test_failed_token_requests_are_limited_per_client_id_and_address(
    api: Api, nats_url: str
) -> None:
    async with (
        running_gateway(
            nats_url=nats_url,
            token_failures_per_client_id=3,
            token_failures_per_address=5,
            rate_limit_bucket=f"test_token_failures_{secrets.token_hex(4)}",
        ) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):

        async def attempt(client_id: str, secret: str) -> httpx.Response:
            form = {"grant_type": "client_credentials", "client_id": client_id}
            return await client.post("/v2/oauth/token", data={**form, "client_secret": secret})

        for _ in range(3):
            assert_problem(await attempt("bob-client", "guess"), 401, "invalid-client")
        refused = await attempt("bob-client", "bob-secret")  # even the right secret, now
        assert_problem(refused, 429, "rate-limited")
        assert int(refused.headers["retry-after"]) > 0
        assert (await attempt("alice-client", "alice-secret")).status_code == 200
        for _ in range(2):  # the address's 4th and 5th failures, for another client id
            assert_problem(await attempt("nobody-client", "guess"), 401, "invalid-client")
        assert_problem(await attempt("alice-client", "alice-secret"), 429, "rate-limited")


async def test_other_grant_types_are_refused(api: Api) -> None:
    response = await token_response(api, grant_type="password", client_id="a", client_secret="b")
    assert_problem(response, 400, "unsupported-grant-type")


async def test_missing_grant_type_is_an_invalid_request(api: Api) -> None:
    assert_problem(await token_response(api, client_id="a"), 400, "invalid-request")


async def test_a_valid_token_is_accepted(api: Api) -> None:
    token = (
        await token_response(
            api, grant_type="client_credentials", client_id="bob-client", client_secret="bob-secret"
        )
    ).json()["access_token"]
    response = await api.client.get("/v2/evse_makes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def _forged(tmp: Path, api: Api) -> str:
    other = ensure_keypair(tmp)
    return jwt.encode(_valid_claims(api), load_private_key(other.private_key_file), "EdDSA")


def _valid_claims(api: Api, **changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    base: dict[str, object] = {
        "iss": "evse-platform",
        "aud": TOKEN_AUDIENCE,
        "sub": api.alice.application_uid,
        "app": api.alice.application_uid,
        "kind": "application",
        "scope": "evses:read",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    return {**base, **changes}


async def test_bad_tokens_are_a_401_on_every_route(api: Api, keys: KeyPair, tmp_path: Path) -> None:
    signing_key = load_private_key(keys.private_key_file)
    past = datetime.now(UTC) - timedelta(hours=2)
    bad_tokens = {
        "forged": _forged(tmp_path, api),
        "expired": jwt.encode(
            _valid_claims(api, iat=past, exp=past + timedelta(minutes=5)), signing_key, "EdDSA"
        ),
        "alg none": jwt.encode(_valid_claims(api), "", "none"),
        "wrong audience": jwt.encode(_valid_claims(api, aud="other"), signing_key, "EdDSA"),
        "foreign claims": jwt.encode(_valid_claims(api, kind="admin"), signing_key, "EdDSA"),
        "garbage": "not-a-jwt",
        "other algorithm": jwt.encode(
            _valid_claims(api), "shared-secret-of-32-bytes-length!", "HS256"
        ),
    }
    for name, token in bad_tokens.items():
        response = await api.client.get(
            "/v2/evse_makes", headers={"Authorization": f"Bearer {token}"}
        )
        assert_problem(response, 401, "unauthorized")
        assert "invalid_token" in response.headers["www-authenticate"], name


def test_signing_keys_are_ed25519(keys: KeyPair) -> None:
    assert isinstance(load_private_key(keys.private_key_file), Ed25519PrivateKey)
