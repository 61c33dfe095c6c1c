"""`GET /v2/events`: the caller's events as Server-Sent Events, scoped and resumable."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from evse_contracts.auth import Principal
from evse_contracts.evses import EVSE_EVENTS_STREAM
from evse_contracts.ids import new_uid
from evse_contracts.onboarding import SCOPES
from evse_contracts.telemetry import TELEMETRY_STREAM, publish_event
from evse_devstack.backends import NatsServer
from evse_devstack.keys import KeyPair
from evse_notifier.app import EVSE_EVENTS_CONSUMER, telemetry_consumer
from tests.utils.notifications import NotifierApi as Api
from tests.utils.notifications import (
    handled,
    notifier_api,
    onboard,
    reconnect,
    status_run,
)
from tests.utils.problems import assert_problem
from tests.utils.sse import sse_events, take
from tests.utils.telemetry import base_time, command, decommission, error
from tests.utils.tokens import application_bearer, bearer


@pytest.fixture
async def api(
    private_nats: NatsServer, mongodb_url: str, database_name: str, keys: KeyPair
) -> AsyncIterator[Api]:
    async with notifier_api(
        nats_url=private_nats.url, mongodb_url=mongodb_url, database=database_name, keys=keys
    ) as running:
        yield running


async def read(
    api: Api, headers: dict[str, str], after: str, count: int
) -> list[dict[str, object]]:
    """`count` events after event id `after` (`0`: from the start of the stream)."""
    async with api.http.stream(
        "GET", "/v2/events", headers={**headers, "Last-Event-ID": after}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return [{"sse_id": e.id, **e.data} for e in await take(sse_events(response), count)]


async def test_resuming_with_last_event_id_loses_nothing(api: Api, keys: KeyPair) -> None:
    app = new_uid("app")
    headers = application_bearer(keys, app)
    evse = await onboard(api.js, application_uid=app)
    [onboarded] = await read(api, headers, "0", 1)
    await status_run(api.js, evse, [("charging", True), ("available", True)])
    first = await read(api, headers, str(onboarded["sse_id"]), 2)
    await status_run(api.js, evse, [("charging", True), ("available", True), ("charging", True)])
    # the client disconnected after the first two changes and resumes from the last id seen
    rest = await read(api, headers, str(first[-1]["sse_id"]), 1)
    everything = await read(api, headers, "0", 4)
    assert [e["id"] for e in [onboarded, *first, *rest]] == [e["id"] for e in everything]
    assert [e["type"] for e in everything] == ["evse.onboarded"] + ["evse.status_changed"] * 3


async def test_a_token_sees_only_its_own_events(api: Api, keys: KeyPair) -> None:
    app, other_app = new_uid("app"), new_uid("app")
    user, other_user = new_uid("user"), new_uid("user")
    await onboard(api.js, application_uid=other_app)
    await onboard(api.js, application_uid=app, user_uid=other_user)
    mine = await onboard(api.js, application_uid=app, user_uid=user)
    await onboard(api.js, application_uid=other_app)
    last = await onboard(api.js, application_uid=app)
    as_user = bearer(
        keys, Principal(kind="user", application_uid=app, user_uid=user, scopes=SCOPES)
    )
    [seen_by_user] = await read(api, as_user, "0", 1)
    assert seen_by_user["evse_uid"] == mine.evse_uid
    seen_by_app = await read(api, application_bearer(keys, app), "0", 3)
    assert [e["application_uid"] for e in seen_by_app] == [app] * 3
    assert seen_by_app[-1]["evse_uid"] == last.evse_uid
    other = await read(api, application_bearer(keys, other_app), "0", 2)
    assert {e["application_uid"] for e in other} == {other_app}


async def test_the_event_stream_needs_a_token(api: Api) -> None:
    assert_problem(await api.http.get("/v2/events"), 401, "unauthorized")


async def test_a_malformed_last_event_id_is_a_400_problem(api: Api, keys: KeyPair) -> None:
    headers = {**application_bearer(keys, new_uid("app")), "Last-Event-ID": "abc"}
    assert_problem(await api.http.get("/v2/events", headers=headers), 400, "invalid-last-event-id")


async def test_commands_errors_and_decommissioning_become_events(api: Api, keys: KeyPair) -> None:
    app, user = new_uid("app"), new_uid("user")
    evse = await onboard(api.js, application_uid=app, user_uid=user)
    headers = application_bearer(keys, app)
    [onboarded] = await read(api, headers, "0", 1)  # the notifier knows the EVSE
    at = base_time()
    await publish_event(api.js, command(evse.evse_uid, at))
    await publish_event(api.js, error(evse.evse_uid, at))
    await decommission(api.js, evse)
    # three consumers (command, error, lifecycle): no order among them, so compare by type
    events = {e["type"]: e for e in await read(api, headers, str(onboarded["sse_id"]), 3)}
    assert set(events) == {"evse.command_confirmed", "evse.error", "evse.decommissioned"}
    assert events["evse.command_confirmed"]["command"] == "set_current_limit"
    assert events["evse.error"]["error_code"] == "upstream_unavailable"
    assert events["evse.decommissioned"]["user_uid"] == user


async def test_a_decommissioned_evse_whose_owner_was_cached_gets_no_more_status_events(
    api: Api, keys: KeyPair
) -> None:
    app = new_uid("app")
    headers = application_bearer(keys, app)
    evse = await onboard(api.js, application_uid=app)
    other = await onboard(api.js, application_uid=app)
    onboarded = await read(api, headers, "0", 2)
    await status_run(api.js, evse, [("charging", True)])  # the notifier now knows its owner
    [charging] = await read(api, headers, str(onboarded[-1]["sse_id"]), 1)
    await decommission(api.js, evse)
    [decommissioned] = await read(api, headers, str(charging["sse_id"]), 1)
    assert decommissioned["type"] == "evse.decommissioned"
    await status_run(api.js, evse, [("available", True)])
    await handled(api.js, TELEMETRY_STREAM, telemetry_consumer("status"))
    await status_run(api.js, other, [("charging", True)])
    [after] = await read(api, headers, str(decommissioned["sse_id"]), 1)
    assert after["evse_uid"] == other.evse_uid


async def test_status_events_follow_an_evse_reconnected_to_another_user(
    api: Api, keys: KeyPair
) -> None:
    app, first_user, second_user = new_uid("app"), new_uid("user"), new_uid("user")
    headers = application_bearer(keys, app)
    evse = await onboard(api.js, application_uid=app, user_uid=first_user)
    [onboarded] = await read(api, headers, "0", 1)
    await status_run(api.js, evse, [("charging", True)])  # the notifier now knows its owner
    [first] = await read(api, headers, str(onboarded["sse_id"]), 1)
    await reconnect(api.js, evse, user_uid=second_user)
    await handled(api.js, EVSE_EVENTS_STREAM, EVSE_EVENTS_CONSUMER)
    await status_run(api.js, evse, [("available", True)])
    [second] = await read(api, headers, str(first["sse_id"]), 1)
    assert (first["user_uid"], second["user_uid"]) == (first_user, second_user)
