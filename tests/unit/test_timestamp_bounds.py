"""Instants that leave datetime's range once moved to UTC are bad input, never a crash."""

from __future__ import annotations

import base64
import json

import pytest

from evse_contracts.problems import DomainError
from evse_contracts.telemetry import parse_log_timestamp
from evse_telemetry.queries import _cursor_time

EDGES = [
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999-00:01",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00+00:01",
]


@pytest.mark.parametrize("value", EDGES)
def test_a_log_timestamp_out_of_range_in_utc_is_clamped_to_the_calendar_edge(value: str) -> None:
    parsed = parse_log_timestamp(value, loc="from")
    assert parsed.year in (1, 9999)


@pytest.mark.parametrize("value", EDGES)
def test_a_cursor_out_of_range_in_utc_is_an_invalid_cursor(value: str) -> None:
    token = base64.urlsafe_b64encode(json.dumps({"before": value}).encode()).decode().rstrip("=")
    with pytest.raises(DomainError) as raised:
        _cursor_time(token)
    assert raised.value.slug == "invalid-cursor" and raised.value.status == 400
