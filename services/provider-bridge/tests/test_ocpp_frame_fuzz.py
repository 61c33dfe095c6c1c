"""Any frame a charger sends, through the tap and the session as served: nothing raises out of
the read loop, every CALL gets one answer with its unique id, a schema-valid call is accepted
whatever its readings say, and every log published is JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.v16.enums import Action, ChargePointStatus, Measurand, Phase, UnitOfMeasure

import evse_provider_bridge.central_system.server  # noqa: F401  (inline validation, as served)
from evse_provider_bridge.central_system.event_queue import EventQueue
from evse_provider_bridge.central_system.frame_tap import FrameTap
from evse_provider_bridge.central_system.session import ChargerSession, SessionSettings
from evse_provider_bridge.central_system.store import OcppCharger, OcppStore
from evse_provider_bridge.telemetry_publisher import EncodedEvent

SETTINGS = SessionSettings(
    heartbeat_interval_s=30, response_timeout_s=0.01, id_tag="PLATFORM", frames_per_minute=10**6
)


class Charger:
    """The socket, store and log queue of one session: frames in, what it answered and logged."""

    def __init__(self, frames: list[str]) -> None:
        self._frames = frames[::-1]
        self._read = False
        self.sent: list[str] = []
        self.answers: list[list[list[Any]]] = []
        """Per frame read, what the central system answered (its own calls left out)."""
        self.events: list[EncodedEvent] = []
        self._transactions = 0

    async def recv(self) -> str:
        if self._read:  # all sent since the last read answered that frame
            self.answers.append([frame for frame in map(json.loads, self.sent) if frame[0] != 2])
            self.sent = []
        if not self._frames:
            raise EOFError
        self._read = True
        return self._frames.pop()

    async def send(self, raw: str) -> None:
        self.sent.append(raw)

    async def put(self, event: EncodedEvent) -> None:
        self.events.append(event)

    async def record_boot(self, charge_point_id: str, boot: Mapping[str, str]) -> None:
        pass

    async def record_configuration(
        self, charge_point_id: str, keys: Mapping[str, str], at: datetime, **_: Any
    ) -> None:
        pass

    async def next_transaction_id(self) -> int:
        self._transactions += 1
        return self._transactions


async def served(frames: list[str]) -> Charger:
    charger = Charger(frames)
    record = OcppCharger("CP-1", "evse01", "app01", "hash", datetime.now(UTC))
    tap = FrameTap(
        cast(Any, charger),
        evse_uid="evse01",
        events=cast(EventQueue, charger),
        frames_per_minute=10**6,
    )
    session = ChargerSession(
        record,
        tap,
        store=cast(OcppStore, charger),
        events=cast(EventQueue, charger),
        settings=SETTINGS,
    )
    try:
        await session.start()
    except EOFError:
        pass
    await session.finish_commands(0)
    return charger


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
UNIQUE_ID = st.text(min_size=1, max_size=36)
READING = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "abc", "1e400", "-1e400", "NaN", "-0", "0x10", " 5 "]),
)
SAMPLE = st.fixed_dictionaries(
    {"value": READING},
    optional={
        "measurand": st.sampled_from([m.value for m in Measurand]),
        "phase": st.sampled_from([p.value for p in Phase]),
        "unit": st.sampled_from([u.value for u in UnitOfMeasure]),
    },
)
METER_VALUES = st.fixed_dictionaries(
    {
        "connectorId": st.integers(0, 10),
        "meterValue": st.lists(
            st.fixed_dictionaries(
                {
                    "timestamp": st.just("2026-11-29T12:00:00Z"),
                    "sampledValue": st.lists(SAMPLE, min_size=1, max_size=4),
                }
            ),
            min_size=1,
            max_size=2,
        ),
    }
)
STATUS = st.fixed_dictionaries(
    {
        "connectorId": st.integers(0, 10),
        "errorCode": st.just("NoError"),
        "status": st.sampled_from([s.value for s in ChargePointStatus]),
    }
)
START = st.fixed_dictionaries(
    {
        "connectorId": st.integers(1, 10),
        "idTag": st.text(max_size=20),
        "meterStart": st.integers(-(2**31), 2**31 - 1),
        "timestamp": st.just("2026-11-29T12:00:00Z"),
    }
)
STOP = st.fixed_dictionaries(
    {
        "meterStop": st.integers(-(2**31), 2**31 - 1),
        "timestamp": st.just("2026-11-29T12:00:00Z"),
        "transactionId": st.integers(-(2**31), 2**31 - 1),
    }
)
VALID_CALLS: st.SearchStrategy[tuple[str, Any]] = st.one_of(
    st.tuples(st.just("MeterValues"), METER_VALUES),
    st.tuples(st.just("StatusNotification"), STATUS),
    st.tuples(st.just("StartTransaction"), START),
    st.tuples(st.just("StopTransaction"), STOP),
    st.tuples(st.just("Heartbeat"), st.just(cast(Any, {}))),
)
"""Calls the OCPP 1.6 schemas accept, with readings a charger may get wrong."""
ANY_CALL = st.tuples(
    st.sampled_from([a.value for a in Action]) | st.text(max_size=20),
    st.dictionaries(st.text(max_size=12), JSON, max_size=4),
)


def call(unique_id: str, action_payload: tuple[str, Any]) -> str:
    return json.dumps([2, unique_id, *action_payload])


FRAMES = st.lists(
    st.one_of(
        st.builds(call, UNIQUE_ID, VALID_CALLS),
        st.builds(call, UNIQUE_ID, ANY_CALL),
        JSON.map(json.dumps),
        st.text(max_size=40),
    ),
    min_size=1,
    max_size=8,
)
EXAMPLES = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def is_call(raw: str) -> bool:
    """Whether `raw` is an OCPP-J CALL: `[2, "<unique id>", "<action>", <payload>]`."""
    try:
        frame = json.loads(raw)
    except ValueError:
        return False
    return (
        isinstance(frame, list)
        and len(frame) == 4
        and frame[0] == 2
        and isinstance(frame[1], str)
        and isinstance(frame[2], str)
    )


@EXAMPLES
@given(FRAMES)
def test_any_frames_are_answered_and_logged_without_an_error_escaping(frames: list[str]) -> None:
    charger = asyncio.run(served(frames))  # an error escaping the read loop fails here
    assert len(charger.answers) == len(frames)
    for raw, answers in zip(frames, charger.answers, strict=True):
        if is_call(raw):  # one answer, a CALLRESULT or a CALLERROR, with the call's id
            assert [(a[0] in (3, 4), a[1]) for a in answers] == [(True, json.loads(raw)[1])]
        else:  # at most a CALLERROR (its id when one can be read)
            assert [a[0] for a in answers] in ([], [4])
    for event in charger.events:
        json.loads(event.payload)


@EXAMPLES
@given(st.lists(st.tuples(UNIQUE_ID, VALID_CALLS), min_size=1, max_size=8))
def test_a_schema_valid_call_is_accepted_whatever_its_readings(
    calls: list[tuple[str, tuple[str, Any]]],
) -> None:
    charger = asyncio.run(served([call(unique_id, action) for unique_id, action in calls]))
    assert [[a[0] for a in answers] for answers in charger.answers] == [[3]] * len(calls), (
        charger.answers
    )
