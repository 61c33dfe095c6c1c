"""The connectivity snapshot: folded from status samples, rendered with catalogue facts.

`advance` is pure and idempotent: samples at or before the snapshot's latest are ignored, so
a redelivered batch changes nothing. A sample older than the snapshot (late delivery) still
counts in the online ratios (they are computed from the logs) but not in the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from evse_contracts.catalogue import EvseFirmwareVersion
from evse_contracts.telemetry import (
    ConnectionType,
    Connectivity,
    Firmware,
    Reliability,
    SignalQuality,
    SignalStrength,
    SimCard,
    StatusLog,
)

__all__ = ["OnlineRatios", "Snapshot", "advance", "firmware_status", "render", "signal_quality"]

T = TypeVar("T")

# Lower bounds (dBm) of excellent, good and fair; below the last is poor. Wi-Fi RSSI runs
# much higher than cellular RSSI for the same usable link.
_BANDS: dict[str, tuple[float, float, float]] = {
    "wifi": (-50.0, -60.0, -70.0),
    "cellular": (-70.0, -85.0, -100.0),
}


@dataclass(frozen=True)
class Snapshot:
    evse_uid: str
    last_sample_at: datetime
    online: bool
    last_seen_at: datetime | None
    disconnect_count: int
    connection_type: ConnectionType = "unknown"
    signal_strength_dbm: float | None = None
    iccid: str | None = None
    carrier: str | None = None
    data_used_bytes_month: int | None = None
    firmware_version: str | None = None


@dataclass(frozen=True)
class OnlineRatios:
    last_24h: float | None
    last_7d: float | None


def signal_quality(dbm: float, connection_type: ConnectionType) -> SignalQuality:
    excellent, good, fair = _BANDS.get(connection_type, _BANDS["cellular"])
    if dbm >= excellent:
        return "excellent"
    if dbm >= good:
        return "good"
    if dbm >= fair:
        return "fair"
    return "poor"


def advance(previous: Snapshot | None, samples: Iterable[StatusLog]) -> Snapshot | None:
    """Fold the samples newer than `previous` into it; None when none is newer."""
    newer = sorted(
        (s for s in samples if previous is None or s.sampled_at > previous.last_sample_at),
        key=lambda s: s.sampled_at,
    )
    if not newer:
        return None
    state = previous or Snapshot(
        evse_uid=newer[0].evse_uid,
        last_sample_at=newer[0].sampled_at,
        online=newer[0].online,
        last_seen_at=None,
        disconnect_count=0,
    )
    for sample in newer:
        if previous is not None and sample.sampled_at == state.last_sample_at:
            continue
        state = _apply(state, sample)
        previous = state
    return state


def _apply(state: Snapshot, sample: StatusLog) -> Snapshot:
    link = sample.connectivity
    state = replace(
        state,
        last_sample_at=sample.sampled_at,
        online=sample.online,
        last_seen_at=sample.sampled_at if sample.online else state.last_seen_at,
        disconnect_count=state.disconnect_count + (state.online and not sample.online),
    )
    if link is None:
        return state
    return replace(
        state,
        connection_type=(
            link.connection_type if link.connection_type != "unknown" else state.connection_type
        ),
        signal_strength_dbm=_latest(link.signal_strength_dbm, state.signal_strength_dbm),
        iccid=_latest(link.iccid, state.iccid),
        carrier=_latest(link.carrier, state.carrier),
        data_used_bytes_month=_latest(link.data_used_bytes_month, state.data_used_bytes_month),
        firmware_version=_latest(link.firmware_version, state.firmware_version),
    )


def _latest(new: T | None, old: T | None) -> T | None:
    return old if new is None else new


def firmware_status(
    current: str | None, versions: Sequence[EvseFirmwareVersion] | None
) -> Firmware:
    """Compare the running version with the model's production releases (None: not known).

    `versions` is None when the catalogue could not be asked. A running version the
    catalogue does not list (a beta, a withdrawn release) cannot be placed: None.
    """
    latest = max(versions or (), key=lambda v: (v.release_date, v.version), default=None)
    latest_version = latest.version if latest else None
    if versions is None or current is None:
        return Firmware(
            version=current, newer_version_available=None, latest_version=latest_version
        )
    running = next((v for v in versions if v.version == current), None)
    newer: bool | None
    if latest is None:
        newer = False
    elif running is None:
        newer = None
    else:
        newer = latest.release_date > running.release_date
    return Firmware(version=current, newer_version_available=newer, latest_version=latest_version)


def render(
    evse_uid: str, snapshot: Snapshot | None, ratios: OnlineRatios, firmware: Firmware
) -> Connectivity:
    if snapshot is None:
        return Connectivity(
            evse_uid=evse_uid,
            connection_type="unknown",
            signal_strength=None,
            sim=None,
            firmware=firmware,
            reliability=Reliability(
                online_ratio_24h=ratios.last_24h,
                online_ratio_7d=ratios.last_7d,
                last_seen_at=None,
                disconnect_count=0,
            ),
            sampled_at=None,
        )
    signal = None
    if snapshot.signal_strength_dbm is not None:
        signal = SignalStrength(
            dbm=snapshot.signal_strength_dbm,
            quality=signal_quality(snapshot.signal_strength_dbm, snapshot.connection_type),
        )
    sim = None
    if snapshot.iccid is not None or snapshot.carrier is not None:
        sim = SimCard(
            iccid=snapshot.iccid,
            carrier=snapshot.carrier,
            data_used_bytes_month=snapshot.data_used_bytes_month,
        )
    return Connectivity(
        evse_uid=evse_uid,
        connection_type=snapshot.connection_type,
        signal_strength=signal,
        sim=sim,
        firmware=firmware,
        reliability=Reliability(
            online_ratio_24h=ratios.last_24h,
            online_ratio_7d=ratios.last_7d,
            last_seen_at=snapshot.last_seen_at,
            disconnect_count=snapshot.disconnect_count,
        ),
        sampled_at=snapshot.last_sample_at,
    )
