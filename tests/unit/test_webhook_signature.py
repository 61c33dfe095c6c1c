"""The gateway's webhook signature check (pure)."""

from __future__ import annotations

import pytest

from evse_gateway.errors import InvalidWebhookSignature
from evse_gateway.webhook_signature import sign, verify

BODY = b'{"chargerId":"c1"}'


def check(signature: str | None, timestamp: str | None = "1000", now: float = 1000.0) -> str:
    return verify(
        secret="s3cret",
        timestamp=timestamp,
        signature=signature,
        body=BODY,
        now=now,
        tolerance_s=300,
        future_s=30,
    )


def test_a_correct_signature_with_or_without_prefix_verifies() -> None:
    signature = sign("s3cret", "1000", BODY)
    assert check(signature) == signature
    assert check(f"sha256={signature}") == signature


@pytest.mark.parametrize(
    ("signature", "timestamp", "now"),
    [
        (None, "1000", 1000.0),
        ("00" * 32, "1000", 1000.0),
        ("sign-me", None, 1000.0),
        ("sign-me", "yesterday", 1000.0),
        ("sign-me", "1000", 1301.0),
        ("sign-me", "1000", 699.0),
        ("sign-me", "1000", 969.0),  # 31 s ahead of our clock
    ],
)
def test_a_missing_wrong_or_stale_signature_is_refused(
    signature: str | None, timestamp: str | None, now: float
) -> None:
    if signature == "sign-me":
        signature = sign("s3cret", timestamp or "", BODY)
    with pytest.raises(InvalidWebhookSignature):
        check(signature, timestamp, now)


def test_a_timestamp_a_little_ahead_of_our_clock_is_accepted() -> None:
    signature = sign("s3cret", "1000", BODY)
    assert check(signature, "1000", 975.0) == signature
