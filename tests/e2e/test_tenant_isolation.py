"""Every `{evse_id}` route of the OpenAPI document, tried by callers who must not see the EVSE.

The routes come from the gateway's own OpenAPI document, so a route added later is covered
without editing this test; a write route whose body this test does not know fails it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from evse_devstack.demo import run_admin
from evse_devstack.stack import Stack
from evse_vendor_simulator.seed import ACCOUNT_NAMES, account_username, seed_for
from tests.e2e.conftest import VENDOR
from tests.utils.polling import eventually
from tests.utils.problems import assert_problem
from tests.utils.vendor_links import link_vendor_account

pytestmark = pytest.mark.e2e


BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("post", "/v2/evses/{evse_id}/commands"): {
        "command": "set_current_limit",
        "current_limit_a": 6,
    },
    ("post", "/v2/evses/{evse_id}/reconnect"): None,
    ("delete", "/v2/evses/{evse_id}"): None,
    ("put", "/v2/evses/{evse_id}/charge_plan"): {
        "target_energy_kwh": 5,
        "departure_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
    },
    ("delete", "/v2/evses/{evse_id}/charge_plan"): None,
}
"""Requests a route with a body needs; reads need none."""

LOG_KINDS = {"status_logs": "sampled_at", "command_logs": "logged_at"}


@dataclass
class Tenants:
    client: httpx.Client
    owner: dict[str, str]
    intruders: dict[str, dict[str, str]]
    evse: dict[str, Any]
    log_timestamps: dict[str, str]


def _token(client: httpx.Client, client_id: str, secret: str, **extra: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        **extra,
    }
    response = client.post("/v2/oauth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _newest(client: httpx.Client, owner: dict[str, str], evse_uid: str, kind: str) -> str | None:
    response = client.get(f"/v2/evses/{evse_uid}/{kind}", params={"limit": 1}, headers=owner)
    if response.status_code == 404:  # telemetry has not heard of the new EVSE yet
        return None
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    return str(results[0][LOG_KINDS[kind]]) if results else None


@pytest.fixture(scope="module")
def tenants(e2e_stack: Stack) -> Iterator[Tenants]:
    demo = e2e_stack.demo
    assert demo is not None
    env = e2e_stack.env
    other = run_admin(
        [
            "create-application",
            "--name",
            "Intruder app",
            "--redirect-url",
            f"{e2e_stack.base_url}/docs",
            "--client-id",
            "intruder-app",
        ],
        env,
    )

    # The owner links the simulator's third account, so the journey's charger (the first's) is
    # left alone; the other application's user has the same email, which must not matter.
    owners = [account_username(name) for name in ACCOUNT_NAMES]

    def user(client_id: str, email: str) -> dict[str, str]:
        return run_admin(["create-user", "--client-id", client_id, "--email", email], env)

    owner_user = user(demo.client_id, owners[2])
    other_user = user("intruder-app", owners[2])
    fellow = user(demo.client_id, owners[1])
    with httpx.Client(base_url=e2e_stack.base_url, timeout=30) as client:
        owner = _token(client, demo.client_id, demo.client_secret, user_uid=owner_user["user_uid"])
        intruders = {
            "another application": _token(client, "intruder-app", other["client_secret"]),
            "another application's user": _token(
                client, "intruder-app", other["client_secret"], user_uid=other_user["user_uid"]
            ),
            "a fellow user of the same application": _token(
                client, demo.client_id, demo.client_secret, user_uid=fellow["user_uid"]
            ),
        }
        linked = link_vendor_account(client, owner, VENDOR, owners[2])
        assert linked.status_code == 303, linked.text
        serial = next(c.serial_number for c in seed_for(VENDOR) if c.owner == owners[2])
        imported = client.post(
            "/v2/evse_onboarding/import",
            json={"provider": VENDOR, "serial_number": serial},
            headers=owner,
        )
        assert imported.status_code in (200, 201), imported.text  # 200: a rerun's fixture
        evse = imported.json()

        def accepted() -> httpx.Response | None:
            """The bridge links a new EVSE once it reads its onboarding event: until then a
            command is `evse-not-linked`."""
            command = client.post(
                f"/v2/evses/{evse['uid']}/commands",
                json={"command": "set_current_limit", "current_limit_a": 16},
                headers=owner,
            )
            if command.status_code == 404 and command.json()["type"].endswith("/evse-not-linked"):
                return None
            assert command.status_code == 202, command.text
            return command

        eventually(accepted)
        timestamps = {
            kind: eventually(functools.partial(_newest, client, owner, evse["uid"], kind))
            for kind in LOG_KINDS
        }
        yield Tenants(client, owner, intruders, evse, timestamps)
        client.delete(f"/v2/evses/{evse['uid']}", headers=owner)


def _evse_operations(client: httpx.Client) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = client.get("/openapi.json").json()["paths"]
    return sorted(
        (method, path)
        for path, operations in paths.items()
        if "{evse_id}" in path
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    )


def _concrete(path: str, evse_ref: str, tenants: Tenants) -> str:
    url = path.replace("{evse_id}", evse_ref)
    for kind, timestamp in tenants.log_timestamps.items():
        url = url.replace(f"/{kind}/{{{LOG_KINDS[kind]}}}", f"/{kind}/{timestamp}")
    # Log kinds this EVSE has none of: any instant, the answer must still be about the EVSE.
    return url.replace("{sampled_at}", "2026-01-01T00:00:00.000Z").replace(
        "{logged_at}", "2026-01-01T00:00:00.000Z"
    )


def _snapshot(tenants: Tenants) -> tuple[Any, ...]:
    uid = tenants.evse["uid"]
    evse = tenants.client.get(f"/v2/evses/{uid}", headers=tenants.owner)
    commands = tenants.client.get(
        f"/v2/evses/{uid}/command_logs", params={"limit": 100}, headers=tenants.owner
    )
    assert evse.status_code == commands.status_code == 200
    return evse.json(), {c["command_id"] for c in commands.json()["results"]}


def test_the_openapi_document_has_evse_routes_of_every_family(tenants: Tenants) -> None:
    operations = _evse_operations(tenants.client)
    assert len(operations) >= 14, operations
    assert {method for method, _ in operations} >= {"get", "post", "delete"}


def test_no_other_tenant_reaches_an_evse_through_any_route(tenants: Tenants) -> None:
    before = _snapshot(tenants)
    refs = (tenants.evse["uid"], str(tenants.evse["id"]))
    operations = _evse_operations(tenants.client)
    tried = 0
    for method, path in operations:
        if method != "get":
            assert (method, path) in BODIES, f"add a request body for {method.upper()} {path}"
        body = BODIES.get((method, path))
        for who, headers in tenants.intruders.items():
            for ref in refs:
                url = _concrete(path, ref, tenants)
                response = tenants.client.request(method, url, json=body, headers=headers)
                assert response.status_code == 404, (who, method, url, response.text)
                assert_problem(response, 404, "evse-not-found")
                tried += 1
    assert _snapshot(tenants) == before
    assert tried == len(operations) * len(tenants.intruders) * len(refs)


def test_the_owner_reaches_the_same_routes(tenants: Tenants) -> None:
    """The 404s above are about tenancy: the same reads succeed for the owner."""
    for method, path in _evse_operations(tenants.client):
        if method != "get" or ("{sampled_at}" in path and "/status_logs/" not in path):
            continue
        if "{logged_at}" in path and "/command_logs/" not in path:
            continue
        if path.endswith("/charge_plan"):  # exists once set; unset, the owner's 404 is its own
            continue
        url = _concrete(path, tenants.evse["uid"], tenants)
        response = tenants.client.get(url, headers=tenants.owner)
        assert response.status_code == 200, (url, response.text)


def test_a_read_only_token_cannot_write(tenants: Tenants, e2e_stack: Stack) -> None:
    demo = e2e_stack.demo
    assert demo is not None
    read_only = _token(tenants.client, demo.client_id, demo.client_secret, scope="evses:read")
    before = _snapshot(tenants)
    for (method, path), body in BODIES.items():
        url = _concrete(path, tenants.evse["uid"], tenants)
        response = tenants.client.request(method, url, json=body, headers=read_only)
        assert_problem(response, 403, "insufficient-scope")
    assert _snapshot(tenants) == before
