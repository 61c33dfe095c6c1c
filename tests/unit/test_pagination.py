from __future__ import annotations

import pytest

from evse_contracts.pagination import decode_cursor, encode_cursor
from evse_contracts.problems import InvalidCursor

KEYS = frozenset({"after"})


def test_cursor_round_trips_its_position() -> None:
    token = encode_cursor({"after": "evsemodel01ABC"})
    assert decode_cursor(token, keys=KEYS) == {"after": "evsemodel01ABC"}


def test_cursor_is_url_safe_without_padding() -> None:
    token = encode_cursor({"after": "x" * 37})
    assert "=" not in token and "+" not in token and "/" not in token


@pytest.mark.parametrize(
    "token",
    [
        "not base64 at all!",
        encode_cursor({"before": "x"}),
        encode_cursor({"after": "x", "extra": "y"}),
        "W10",  # base64 of "[]"
    ],
)
def test_foreign_cursor_is_rejected(token: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(token, keys=KEYS)
