from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from evse_contracts.catalogue import EvseFirmwareVersion
from evse_contracts.telemetry import ConnectivitySample, StatusLog
from evse_telemetry.connectivity import firmware_status, fold, signal_quality

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def sample(minute: int, *, online: bool = True, **link: object) -> StatusLog:
    return StatusLog(
        evse_uid="evse01",
        sampled_at=T0 + timedelta(minutes=minute),
        state="charging" if online else "offline",
        online=online,
        plugged_in=True,
        connectivity=ConnectivitySample(**link) if link else None,  # type: ignore[arg-type]
    )


def version(name: str, released: date) -> EvseFirmwareVersion:
    return EvseFirmwareVersion(
        uid=f"evsefw-{name}",
        evse_model_uid="evsemodel01",
        version=name,
        release_date=released,
        is_production=True,
    )


@pytest.mark.parametrize(
    ("dbm", "link", "quality"),
    [
        (-65, "cellular", "excellent"),
        (-80, "cellular", "good"),
        (-95, "cellular", "fair"),
        (-110, "cellular", "poor"),
        (-45, "wifi", "excellent"),
        (-72, "wifi", "poor"),
        (-80, "unknown", "good"),
    ],
)
def test_signal_quality_bands_depend_on_the_link(dbm: float, link: str, quality: str) -> None:
    assert signal_quality(dbm, link) == quality  # type: ignore[arg-type]


def test_the_fold_is_the_same_whatever_order_samples_arrive_in() -> None:
    samples = [
        sample(0, connection_type="cellular", signal_strength_dbm=-90, firmware_version="1.0"),
        sample(1, online=False),
        sample(2, signal_strength_dbm=-70, carrier="Telia"),
        sample(3, firmware_version="1.1"),
        sample(4, online=False),
    ]
    [in_order] = fold(samples)
    for seed in range(20):
        shuffled = samples[:]
        random.Random(seed).shuffle(shuffled)
        assert fold(shuffled) == [in_order]
    assert in_order.signal_strength_dbm == -70 and in_order.carrier == "Telia"
    assert in_order.connection_type == "cellular" and in_order.firmware_version == "1.1"
    assert in_order.last_seen_at == T0 + timedelta(minutes=3)
    assert in_order.last_sample_at == T0 + timedelta(minutes=4)
    assert in_order.facts_at["signal_strength_dbm"] == T0 + timedelta(minutes=2)


def test_a_batch_folds_into_one_snapshot_per_evse() -> None:
    other = sample(0).model_copy(update={"evse_uid": "evse02"})
    assert sorted(s.evse_uid for s in fold([sample(0), other, sample(1)])) == ["evse01", "evse02"]


def test_newer_firmware_is_a_later_production_release_of_the_model() -> None:
    versions = [version("1.0", date(2024, 1, 1)), version("1.2", date(2024, 6, 1))]
    assert firmware_status("1.0", versions).newer_version_available is True
    assert firmware_status("1.2", versions).newer_version_available is False
    assert firmware_status("1.0", versions).latest_version == "1.2"


def test_newer_firmware_is_unknown_without_the_catalogue_or_for_an_unlisted_version() -> None:
    versions = [version("1.0", date(2024, 1, 1))]
    assert firmware_status("1.0", None).newer_version_available is None
    assert firmware_status("0.9-beta", versions).newer_version_available is None
    assert firmware_status(None, versions).newer_version_available is None
    assert firmware_status("1.0", []).newer_version_available is False
