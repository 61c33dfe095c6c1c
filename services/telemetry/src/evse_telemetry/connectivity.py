"""The connectivity snapshot: folded from status samples, rendered with catalogue facts.

Folding is pure, idempotent and indifferent to delivery order (replicas write batches
concurrently): each link fact comes from the latest sample that reported it, and
`last_seen_at` is the latest online sample. The store merges a batch's fold into the stored
snapshot by the same rule, so no read is needed before the write. Figures that depend on
the sequence of samples (online ratios, disconnects) are computed from the logs at query
time instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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

__all__ = [
    "LINK_FACTS",
    "Reliability7d",
    "Snapshot",
    "firmware_status",
    "fold",
    "render",
    "signal_quality",
]

LINK_FACTS = (
    "connection_type",
    "signal_strength_dbm",
    "iccid",
    "carrier",
    "data_used_bytes_month",
    "firmware_version",
)

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
    last_seen_at: datetime | None
    connection_type: ConnectionType = "unknown"
    signal_strength_dbm: float | None = None
    iccid: str | None = None
    carrier: str | None = None
    data_used_bytes_month: int | None = None
    firmware_version: str | None = None
    facts_at: dict[str, datetime] = field(default_factory=dict)
    """When each link fact was sampled: the latest report of a fact wins, in any order."""


@dataclass(frozen=True)
class Reliability7d:
    """What the last 7 days of status logs say: online shares and online→offline transitions."""

    online_ratio_24h: float | None
    online_ratio_7d: float | None
    disconnect_count_7d: int
    last_seen_at: datetime | None


def signal_quality(dbm: float, connection_type: ConnectionType) -> SignalQuality:
    excellent, good, fair = _BANDS.get(connection_type, _BANDS["cellular"])
    if dbm >= excellent:
        return "excellent"
    if dbm >= good:
        return "good"
    if dbm >= fair:
        return "fair"
    return "poor"


def fold(samples: Iterable[StatusLog]) -> list[Snapshot]:
    """One snapshot per EVSE of a batch, to be merged into the stored ones by fact time."""
    by_evse: dict[str, _Folding] = {}
    for sample in samples:
        state = by_evse.get(sample.evse_uid)
        if state is None:
            state = by_evse[sample.evse_uid] = _Folding(sample.sampled_at)
        state.apply(sample)
    return [state.snapshot(evse_uid) for evse_uid, state in by_evse.items()]


@dataclass
class _Folding:
    """One EVSE's snapshot while a batch is folded (mutable: a batch holds many samples)."""

    last_sample_at: datetime
    last_seen_at: datetime | None = None
    facts: dict[str, tuple[datetime, Any]] = field(default_factory=dict)

    def apply(self, sample: StatusLog) -> None:
        at = sample.sampled_at
        if at > self.last_sample_at:
            self.last_sample_at = at
        if sample.online and (self.last_seen_at is None or at > self.last_seen_at):
            self.last_seen_at = at
        link = sample.connectivity
        if link is None:
            return
        for name in LINK_FACTS:
            value = getattr(link, name)
            if value is None or value == "unknown":
                continue
            known = self.facts.get(name)
            if known is None or at > known[0]:
                self.facts[name] = (at, value)

    def snapshot(self, evse_uid: str) -> Snapshot:
        return Snapshot(
            evse_uid=evse_uid,
            last_sample_at=self.last_sample_at,
            last_seen_at=self.last_seen_at,
            facts_at={name: at for name, (at, _) in self.facts.items()},
            **{name: value for name, (_, value) in self.facts.items()},
        )


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
    evse_uid: str, snapshot: Snapshot | None, recent: Reliability7d, firmware: Firmware
) -> Connectivity:
    seen = [recent.last_seen_at, snapshot.last_seen_at if snapshot else None]
    last_seen = max((t for t in seen if t is not None), default=None)
    reliability = Reliability(
        online_ratio_24h=recent.online_ratio_24h,
        online_ratio_7d=recent.online_ratio_7d,
        last_seen_at=last_seen,
        disconnect_count_7d=recent.disconnect_count_7d,
    )
    if snapshot is None:
        return Connectivity(
            evse_uid=evse_uid,
            connection_type="unknown",
            signal_strength=None,
            sim=None,
            firmware=firmware,
            reliability=reliability,
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
        reliability=reliability,
        sampled_at=snapshot.last_sample_at,
    )
