from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from evse_contracts.subjects import SUBJECT_TABLE
from evse_contracts.telemetry import (
    InvalidTimestamp,
    StatusLog,
    message_id,
    parse_log_timestamp,
    publish_event,
)

INSTANT = datetime(2025, 3, 1, 10, 15, 30, 123_000, tzinfo=UTC)


@pytest.mark.parametrize(
    "spelling",
    [
        "2025-03-01T10:15:30.123Z",
        "2025-03-01T12:15:30.123+02:00",
        "2025-03-01T05:15:30.123999-05:00",
        "2025-03-01T10:15:30.123",
        "20250301T101530.123Z",
    ],
)
def test_every_spelling_of_an_instant_parses_to_the_same_utc_millisecond(spelling: str) -> None:
    assert parse_log_timestamp(spelling, loc="path.sampled_at") == INSTANT


@pytest.mark.parametrize("spelling", ["yesterday", "2025-02-30T00:00:00Z", "", "1700000000"])
def test_a_malformed_timestamp_names_where_it_was(spelling: str) -> None:
    with pytest.raises(InvalidTimestamp) as caught:
        parse_log_timestamp(spelling, loc="query.from")
    assert caught.value.slug == "invalid-timestamp" and caught.value.status == 400
    assert [e.loc for e in caught.value.errors] == ["query.from"]


def test_log_timestamps_serialise_with_three_fraction_digits() -> None:
    log = StatusLog(
        evse_uid="evse01", sampled_at=INSTANT, state="available", online=True, plugged_in=False
    )
    assert '"sampled_at":"2025-03-01T10:15:30.123Z"' in log.model_dump_json()


class RecordingJetStream:
    def __init__(self) -> None:
        self.published: list[tuple[str, bytes, dict[str, Any]]] = []

    async def publish(
        self,
        subject: str,
        payload: bytes = b"",
        timeout: float | None = None,
        stream: str | None = None,
        headers: dict[str, Any] | None = None,
    ) -> None:
        self.published.append((subject, payload, headers or {}))


async def test_publish_event_sets_the_message_id_the_stream_deduplicates_on() -> None:
    log = StatusLog(
        evse_uid="evse01", sampled_at=INSTANT, state="charging", online=True, plugged_in=True
    )
    js = RecordingJetStream()
    await publish_event(js, log)
    [(subject, payload, headers)] = js.published
    assert subject == "telemetry.events.status.evse01"
    assert headers == {"Nats-Msg-Id": "status:evse01:2025-03-01T10:15:30.123Z"}
    assert headers["Nats-Msg-Id"] == message_id(log)
    assert StatusLog.model_validate_json(payload) == log


def test_the_subject_table_holds_every_telemetry_query() -> None:
    for kind in ("status", "command", "error", "ocpp"):
        assert f"telemetry.query.{kind}_logs.list" in SUBJECT_TABLE
        assert f"telemetry.query.{kind}_logs.get" in SUBJECT_TABLE
    assert "telemetry.query.connectivity.get" in SUBJECT_TABLE
