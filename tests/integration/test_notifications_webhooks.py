"""Webhook subscriptions and deliveries: the notifier and the gateway on real NATS, MongoDB
protocol server and HTTP, with a local receiver.

Over 300 lines: one subject (a subscription's life: validation, delivery, retries, replicas),
long for its scenarios; the shared stack helpers are in `tests/utils/notifications.py`.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import httpx
import pytest

from evse_contracts.auth import Principal
from evse_contracts.evses import EVSE_ONBOARDED, EvseOnboarded
from evse_contracts.ids import new_uid
from evse_contracts.onboarding import SCOPES
from evse_devstack.backends import NatsServer
from evse_devstack.keys import KeyPair
from tests.utils.notifications import (
    NotifierApi,
    notifier_and_gateway,
    onboard,
    running_notifier,
    status_run,
    subscribe,
)
from tests.utils.polling import until
from tests.utils.problems import assert_problem
from tests.utils.receiver import Receiver, verify
from tests.utils.services import running_asgi
from tests.utils.tokens import application_bearer, bearer

SUBSCRIPTION_SLUG = "validation-failed-webhook-subscription"


async def received(receiver: Receiver, count: int) -> None:
    async def enough() -> bool:
        return len(receiver.events) >= count

    await until(enough)


async def test_a_receiver_gets_signed_batches_of_changes_only(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    http, js = notifications_api.http, notifications_api.js
    app = new_uid("app")
    receiver = Receiver()
    async with running_asgi(receiver) as url:
        created = await subscribe(
            http,
            application_bearer(keys, app),
            url,
            "evse.onboarded",
            "evse.status_changed",
            "evse.went_offline",
        )
        evse = await onboard(js, application_uid=app)
        await received(receiver, 1)
        await status_run(
            js,
            evse,
            [("charging", True), ("charging", True), ("available", True), ("offline", False)],
        )
        await received(receiver, 5)
    assert [e["type"] for e in receiver.events] == [
        "evse.onboarded",
        "evse.status_changed",
        "evse.status_changed",
        "evse.status_changed",
        "evse.went_offline",
    ]
    for delivery in receiver.accepted:
        assert verify(created["secret"], delivery.signature, delivery.body)
        assert not verify("whsec_wrong", delivery.signature, delivery.body)
    changed = receiver.of_type("evse.status_changed")
    assert [c["status"]["state"] for c in changed] == ["charging", "available", "offline"]
    assert changed[0]["previous"] is None
    assert changed[2]["previous"] == {"state": "available", "plugged_in": True, "online": True}
    assert all(e["application_uid"] == app and e["evse_uid"] == evse.evse_uid for e in changed)


async def test_a_receiver_that_fails_then_recovers_gets_every_event_once_in_order(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    http, js = notifications_api.http, notifications_api.js
    app = new_uid("app")
    receiver = Receiver(failures=4)
    async with running_asgi(receiver) as url:
        created = await subscribe(
            http, application_bearer(keys, app), url, "evse.onboarded", "evse.status_changed"
        )
        evses = [await onboard(js, application_uid=app) for _ in range(3)]
        await received(receiver, 3)
        states = [("charging", True), ("suspended_ev", True), ("available", True)] * 4
        for evse in evses:
            await status_run(js, evse, states)
        await received(receiver, 3 + 3 * len(states))
        subscription = await http.get(
            f"/v2/webhooks/subscriptions/{created['id']}", headers=application_bearer(keys, app)
        )
    assert receiver.refused == 4
    ids = [event["id"] for event in receiver.events]
    assert len(ids) == len(set(ids)) == 3 + 3 * len(states)
    per_evse: dict[str, list[str]] = defaultdict(list)
    for event in receiver.of_type("evse.status_changed"):
        per_evse[event["evse_uid"]].append(event["sampled_at"])
    assert all(times == sorted(times) and len(times) == len(states) for times in per_evse.values())
    assert subscription.json()["status"] == "active"
    assert subscription.json()["failing_since"] is None


async def test_a_subscription_failing_past_the_retry_window_is_disabled_with_the_reason(
    private_nats: NatsServer, mongodb_url: str, database_name: str, keys: KeyPair
) -> None:
    app = new_uid("app")
    headers = application_bearer(keys, app)
    receiver = Receiver(always_fail=True)
    async with (
        notifier_and_gateway(
            nats_url=private_nats.url,
            mongodb_url=mongodb_url,
            database=database_name,
            keys=keys,
            webhook_retry_window_s=0.3,
        ) as (base_url, js),
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        running_asgi(receiver) as url,
    ):
        created = await subscribe(http, headers, url, "evse.onboarded")
        await onboard(js, application_uid=app)
        path = f"/v2/webhooks/subscriptions/{created['id']}"

        async def disabled() -> bool:
            status: str = (await http.get(path, headers=headers)).json()["status"]
            return status == "disabled"

        await until(disabled)
        body = (await http.get(path, headers=headers)).json()
    assert "HTTP 500" in body["disabled_reason"]
    assert body["failing_since"] is not None


async def test_another_application_receives_none_of_the_events(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    http, js = notifications_api.http, notifications_api.js
    first, second = new_uid("app"), new_uid("app")
    mine, theirs = Receiver(), Receiver()
    async with running_asgi(mine) as mine_url, running_asgi(theirs) as their_url:
        await subscribe(http, application_bearer(keys, first), mine_url, "evse.onboarded")
        await subscribe(http, application_bearer(keys, second), their_url, "evse.onboarded")
        for _ in range(3):
            await onboard(js, application_uid=first)
        await received(mine, 3)
        own = await onboard(js, application_uid=second)  # comes after the first's in the stream
        await received(theirs, 1)
    assert [e["evse_uid"] for e in theirs.events] == [own.evse_uid]
    assert {e["application_uid"] for e in mine.events} == {first}


async def test_the_test_endpoint_sends_a_signed_ping(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    http = notifications_api.http
    app = new_uid("app")
    receiver = Receiver()
    async with running_asgi(receiver) as url:
        created = await subscribe(http, application_bearer(keys, app), url)
        response = await http.post(
            f"/v2/webhooks/subscriptions/{created['id']}/test",
            headers=application_bearer(keys, app),
        )
    assert response.status_code == 200, response.text
    assert response.json() == {"delivered": True, "status_code": 204, "error": None}
    [ping] = receiver.events
    assert ping["type"] == "webhook.ping"
    assert verify(created["secret"], receiver.accepted[0].signature, receiver.accepted[0].body)


async def test_subscriptions_are_listed_shown_without_secret_and_deleted(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    http = notifications_api.http
    headers = application_bearer(keys, new_uid("app"))
    created = await subscribe(http, headers, "https://hooks.example/evse")
    listed = (await http.get("/v2/webhooks/subscriptions", headers=headers)).json()
    assert [s["id"] for s in listed["results"]] == [created["id"]]
    assert "secret" not in listed["results"][0]
    path = f"/v2/webhooks/subscriptions/{created['id']}"
    assert (await http.delete(path, headers=headers)).status_code == 204
    assert_problem(await http.get(path, headers=headers), 404, "webhook-subscription-not-found")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"url": "not a url", "event_types": ["evse.error"]}, "body.url"),
        ({"url": "ftp://hooks.example/x", "event_types": ["evse.error"]}, "body.url"),
        (
            {"url": "https://hooks.example/x", "event_types": ["evse.exploded"]},
            "body.event_types.0",
        ),
        ({"url": "https://hooks.example/x", "event_types": []}, "body.event_types"),
    ],
)
async def test_an_invalid_subscription_is_a_400_problem(
    notifications_api: NotifierApi, keys: KeyPair, body: dict[str, object], loc: str
) -> None:
    http = notifications_api.http
    response = await http.post(
        "/v2/webhooks/subscriptions", json=body, headers=application_bearer(keys, new_uid("app"))
    )
    problem = assert_problem(response, 400, SUBSCRIPTION_SLUG)
    assert loc in {error["loc"] for error in problem["errors"]}


async def test_another_applications_subscription_is_not_found(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    http = notifications_api.http
    created = await subscribe(http, application_bearer(keys, new_uid("app")), "https://a.example")
    other = application_bearer(keys, new_uid("app"))
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/test")):
        response = await http.request(
            method, f"/v2/webhooks/subscriptions/{created['id']}{suffix}", headers=other
        )
        assert_problem(response, 404, "webhook-subscription-not-found")


async def test_a_user_token_may_not_manage_subscriptions(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    http = notifications_api.http
    user = Principal(
        kind="user", application_uid=new_uid("app"), user_uid=new_uid("user"), scopes=SCOPES
    )
    response = await http.get("/v2/webhooks/subscriptions", headers=bearer(keys, user))
    assert_problem(response, 403, "application-token-required")


async def test_vendor_webhooks_still_reach_their_route(notifications_api: NotifierApi) -> None:
    http = notifications_api.http
    response = await http.post("/v2/webhooks/not-a-vendor", content=b"{}")
    assert_problem(response, 404, "webhook-provider-not-found")


async def test_two_replicas_deliver_each_event_once_per_subscription(
    private_nats: NatsServer, mongodb_url: str, database_name: str, keys: KeyPair
) -> None:
    app = new_uid("app")
    headers = application_bearer(keys, app)
    receivers = [Receiver(failures=2) for _ in range(4)]
    states = [("charging", True), ("available", True), ("offline", False)] * 3
    async with (
        notifier_and_gateway(
            nats_url=private_nats.url, mongodb_url=mongodb_url, database=database_name, keys=keys
        ) as (base_url, js),
        running_notifier(
            nats_url=private_nats.url,
            mongodb_url=mongodb_url,
            database=database_name,
            instance_id="second",
        ),
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        AsyncExitStack() as stack,
    ):
        for receiver in receivers:
            url = await stack.enter_async_context(running_asgi(receiver))
            await subscribe(http, headers, url, "evse.onboarded", "evse.status_changed")
        evses = [await onboard(js, application_uid=app) for _ in range(2)]
        for receiver in receivers:
            await received(receiver, 2)
        for evse in evses:
            await status_run(js, evse, states)
        for receiver in receivers:
            await received(receiver, 2 + 2 * len(states))
    for receiver in receivers:
        ids = [event["id"] for event in receiver.events]
        assert len(ids) == len(set(ids)) == 2 + 2 * len(states)
        for evse in evses:
            mine = [
                e for e in receiver.of_type("evse.status_changed") if e["evse_uid"] == evse.evse_uid
            ]
            assert [e["status"]["state"] for e in mine] == [state for state, _ in states]


async def test_http_urls_and_non_public_addresses_are_refused_outside_development(
    private_nats: NatsServer, mongodb_url: str, database_name: str, keys: KeyPair
) -> None:
    urls = [
        "http://hooks.example/x",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/hook",
        "https://localhost:8443/hook",
        "https://no-such-host.invalid/hook",
    ]
    async with (
        notifier_and_gateway(
            nats_url=private_nats.url,
            mongodb_url=mongodb_url,
            database=database_name,
            keys=keys,
            webhook_allow_http=False,
            webhook_allow_private_addresses=False,
        ) as (base_url, _),
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
    ):
        headers = application_bearer(keys, new_uid("app"))
        for url in urls:
            response = await http.post(
                "/v2/webhooks/subscriptions",
                json={"url": url, "event_types": ["evse.error"]},
                headers=headers,
            )
            problem = assert_problem(response, 400, SUBSCRIPTION_SLUG)
            assert problem["errors"][0]["loc"] == "body.url", url
        listed = await http.get("/v2/webhooks/subscriptions", headers=headers)
    assert listed.json()["results"] == []


async def test_status_published_before_its_evse_is_announced_still_becomes_an_event(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    """An OCPP charger boots the moment it is set up: its first samples can reach the
    notifier before the EVSE's onboarded event does."""
    http, js = notifications_api.http, notifications_api.js
    app = new_uid("app")
    receiver = Receiver()
    async with running_asgi(receiver) as url:
        await subscribe(http, application_bearer(keys, app), url, "evse.status_changed")
        evse = EvseOnboarded(
            evse_uid=new_uid("evse"),
            evse_id=900_001,
            application_uid=app,
            user_uid=None,
            evse_model_uid="evsemodel01JD7AAAAAAAAAAAAAAAAAAAAA",
            provider=None,
            serial_number="CP-EARLY-1",
            occurred_at=datetime.now(UTC),
        )
        await status_run(js, evse, [("available", True), ("charging", True)])
        await asyncio.sleep(0.5)
        await js.publish(EVSE_ONBOARDED, evse.model_dump_json().encode())
        await received(receiver, 2)
    changed = receiver.of_type("evse.status_changed")
    assert [c["status"]["state"] for c in changed] == ["available", "charging"]


async def test_a_read_only_token_may_look_at_subscriptions_but_not_change_them(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    http = notifications_api.http
    app_uid = new_uid("app")
    created = await subscribe(http, application_bearer(keys, app_uid), "https://a.example")
    reader = bearer(
        keys, Principal(kind="application", application_uid=app_uid, scopes=("evses:read",))
    )
    path = f"/v2/webhooks/subscriptions/{created['id']}"
    refused = [
        await http.post(
            "/v2/webhooks/subscriptions",
            json={"url": "https://b.example", "event_types": ["evse.status_changed"]},
            headers=reader,
        ),
        await http.delete(path, headers=reader),
        await http.post(f"{path}/test", headers=reader),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert (await http.get(path, headers=reader)).status_code == 200
    assert (await http.get("/v2/webhooks/subscriptions", headers=reader)).status_code == 200
