"""`GET /v2/events`: the caller's events as Server-Sent Events, scoped and resumable."""

from __future__ import annotations

from evse_contracts.auth import Principal
from evse_contracts.evses import EVSE_EVENTS_STREAM
from evse_contracts.ids import new_uid
from evse_contracts.onboarding import SCOPES
from evse_contracts.telemetry import TELEMETRY_STREAM, publish_event
from evse_devstack.keys import KeyPair
from evse_notifier.app import EVSE_EVENTS_CONSUMER, telemetry_consumer
from tests.utils.notifications import (
    NotifierApi,
    handled,
    onboard,
    reconnect,
    status_run,
)
from tests.utils.problems import assert_problem
from tests.utils.sse import sse_events, take
from tests.utils.telemetry import base_time, command, decommission, error
from tests.utils.tokens import application_bearer, bearer


async def read(
    notifications_api: NotifierApi, headers: dict[str, str], after: str, count: int
) -> list[dict[str, object]]:
    """`count` events after event id `after` (`0`: from the start of the stream)."""
    async with notifications_api.http.stream(
        "GET", "/v2/events", headers={**headers, "Last-Event-ID": after}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return [{"sse_id": e.id, **e.data} for e in await take(sse_events(response), count)]


async def test_resuming_with_last_event_id_loses_nothing(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    app = new_uid("app")
    headers = application_bearer(keys, app)
    evse = await onboard(notifications_api.js, application_uid=app)
    [onboarded] = await read(notifications_api, headers, "0", 1)
    await status_run(notifications_api.js, evse, [("charging", True), ("available", True)])
    first = await read(notifications_api, headers, str(onboarded["sse_id"]), 2)
    await status_run(
        notifications_api.js, evse, [("charging", True), ("available", True), ("charging", True)]
    )
    # the client disconnected after the first two changes and resumes from the last id seen
    rest = await read(notifications_api, headers, str(first[-1]["sse_id"]), 1)
    everything = await read(notifications_api, headers, "0", 4)
    assert [e["id"] for e in [onboarded, *first, *rest]] == [e["id"] for e in everything]
    assert [e["type"] for e in everything] == ["evse.onboarded"] + ["evse.status_changed"] * 3


async def test_a_token_sees_only_its_own_events(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    app, other_app = new_uid("app"), new_uid("app")
    user, other_user = new_uid("user"), new_uid("user")
    await onboard(notifications_api.js, application_uid=other_app)
    await onboard(notifications_api.js, application_uid=app, user_uid=other_user)
    mine = await onboard(notifications_api.js, application_uid=app, user_uid=user)
    await onboard(notifications_api.js, application_uid=other_app)
    last = await onboard(notifications_api.js, application_uid=app)
    as_user = bearer(
        keys, Principal(kind="user", application_uid=app, user_uid=user, scopes=SCOPES)
    )
    [seen_by_user] = await read(notifications_api, as_user, "0", 1)
    assert seen_by_user["evse_uid"] == mine.evse_uid
    seen_by_app = await read(notifications_api, application_bearer(keys, app), "0", 3)
    assert [e["application_uid"] for e in seen_by_app] == [app] * 3
    assert seen_by_app[-1]["evse_uid"] == last.evse_uid
    other = await read(notifications_api, application_bearer(keys, other_app), "0", 2)
    assert {e["application_uid"] for e in other} == {other_app}


async def test_the_event_stream_needs_a_token(notifications_api: NotifierApi) -> None:
    assert_problem(await notifications_api.http.get("/v2/events"), 401, "unauthorized")


async def test_a_malformed_last_event_id_is_a_400_problem(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    headers = {**application_bearer(keys, new_uid("app")), "Last-Event-ID": "abc"}
    assert_problem(
        await notifications_api.http.get("/v2/events", headers=headers),
        400,
        "invalid-last-event-id",
    )


async def test_commands_errors_and_decommissioning_become_events(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    app, user = new_uid("app"), new_uid("user")
    evse = await onboard(notifications_api.js, application_uid=app, user_uid=user)
    headers = application_bearer(keys, app)
    [onboarded] = await read(notifications_api, headers, "0", 1)  # the notifier knows the EVSE
    at = base_time()
    await publish_event(notifications_api.js, command(evse.evse_uid, at))
    await publish_event(notifications_api.js, error(evse.evse_uid, at))
    # Three consumers (command, error, lifecycle) with no order among them: a sample handled
    # after the decommission is dropped, so the decommission waits until both are handled.
    for kind in ("command", "error"):
        await handled(notifications_api.js, TELEMETRY_STREAM, telemetry_consumer(kind))
    await decommission(notifications_api.js, evse)
    events = {
        e["type"]: e for e in await read(notifications_api, headers, str(onboarded["sse_id"]), 3)
    }
    assert set(events) == {"evse.command_confirmed", "evse.error", "evse.decommissioned"}
    assert events["evse.command_confirmed"]["command"] == "set_current_limit"
    assert events["evse.error"]["error_code"] == "upstream_unavailable"
    assert events["evse.decommissioned"]["user_uid"] == user


async def test_a_decommissioned_evse_whose_owner_was_cached_gets_no_more_status_events(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    app = new_uid("app")
    headers = application_bearer(keys, app)
    evse = await onboard(notifications_api.js, application_uid=app)
    other = await onboard(notifications_api.js, application_uid=app)
    onboarded = await read(notifications_api, headers, "0", 2)
    await status_run(
        notifications_api.js, evse, [("charging", True)]
    )  # the notifier now knows its owner
    [charging] = await read(notifications_api, headers, str(onboarded[-1]["sse_id"]), 1)
    await decommission(notifications_api.js, evse)
    [decommissioned] = await read(notifications_api, headers, str(charging["sse_id"]), 1)
    assert decommissioned["type"] == "evse.decommissioned"
    await status_run(notifications_api.js, evse, [("available", True)])
    await handled(notifications_api.js, TELEMETRY_STREAM, telemetry_consumer("status"))
    await status_run(notifications_api.js, other, [("charging", True)])
    [after] = await read(notifications_api, headers, str(decommissioned["sse_id"]), 1)
    assert after["evse_uid"] == other.evse_uid


async def test_status_events_follow_an_evse_reconnected_to_another_user(
    notifications_api: NotifierApi, keys: KeyPair
) -> None:
    app, first_user, second_user = new_uid("app"), new_uid("user"), new_uid("user")
    headers = application_bearer(keys, app)
    evse = await onboard(notifications_api.js, application_uid=app, user_uid=first_user)
    [onboarded] = await read(notifications_api, headers, "0", 1)
    await status_run(
        notifications_api.js, evse, [("charging", True)]
    )  # the notifier now knows its owner
    [first] = await read(notifications_api, headers, str(onboarded["sse_id"]), 1)
    await reconnect(notifications_api.js, evse, user_uid=second_user)
    await handled(notifications_api.js, EVSE_EVENTS_STREAM, EVSE_EVENTS_CONSUMER)
    await status_run(notifications_api.js, evse, [("available", True)])
    [second] = await read(notifications_api, headers, str(first["sse_id"]), 1)
    assert (first["user_uid"], second["user_uid"]) == (first_user, second_user)
