"""The deterministic seed fleet: three chargers per vendor, shared with the partner account.

Tests and `make run` reuse these serials and owner emails. Every vendor's first charger is
owned by `alice@example.com`, the second by `bob@example.com`, the third by
`carol@example.com`. The partner account of each vendor is `partner@<vendor>.example`
with password `sim-partner-password` (Enel X: API token `sim-enelx-account-token`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "OWNERS",
    "PARTNER_PASSWORD",
    "SEED_CHARGERS",
    "SeedCharger",
    "partner_username",
    "seed_for",
]

PARTNER_PASSWORD = "sim-partner-password"
ENELX_ACCOUNT_TOKEN = "sim-enelx-account-token"
OWNERS = ("alice@example.com", "bob@example.com", "carol@example.com")


def partner_username(vendor: str) -> str:
    return f"partner@{vendor}.example"


@dataclass(frozen=True)
class SeedCharger:
    vendor: str
    serial_number: str
    device_id: str
    owner_email: str
    vendor_model: str
    firmware_version: str


def _three(
    vendor: str,
    serials: tuple[str, ...],
    ids: tuple[str, ...],
    models: tuple[str, ...],
    firmware: str,
) -> tuple[SeedCharger, ...]:
    return tuple(
        SeedCharger(vendor, serial, device_id, owner, model, firmware)
        for serial, device_id, owner, model in zip(serials, ids, OWNERS, models, strict=True)
    )


SEED_CHARGERS: tuple[SeedCharger, ...] = (
    *_three(
        "chargepoint",
        ("CP2251000101", "CP2251000102", "CP2251000103"),
        ("1000101", "1000102", "1000103"),
        ("CPH50-NEMA6-50-L23", "CPH50-NACS", "CPH50-NEMA6-50-L23"),
        "5.5.2.14",
    ),
    *_three(
        "eo",
        ("EM-10101", "EM-10102", "EM-10103"),
        ("10101", "10102", "10103"),
        ("EO Mini Pro 2", "EO Mini Pro 2", "EO Mini Pro 3"),
        "2.1.7",
    ),
    *_three(
        "syncev",
        ("SYNC-7K-000101", "SYNC-7K-000102", "SYNC-WC2-000103"),
        ("syn-101", "syn-102", "syn-103"),
        ("EVCP-7KW-S-1PH-32A", "EVCP-7KW-S-1PH-32A", "WC2"),
        "1.9.0",
    ),
    *_three(
        "enelx",
        ("JB4810101", "JB4810102", "JB4010103"),
        ("JB4810101", "JB4810102", "JB4010103"),
        ("JuiceBox 48", "JuiceBox 48", "JuiceBox 40"),
        "09.12.05",
    ),
    *_three(
        "easee",
        ("EH101001", "EH101002", "EH101003"),
        ("EH101001", "EH101002", "EH101003"),
        ("1", "1", "100"),
        "302",
    ),
    *_three(
        "wallbox",
        ("WB10101", "WB10102", "WB10103"),
        ("10101", "10102", "10103"),
        ("PLP1-0-2-4-9-002", "PUX1-0-2-4-9-001", "CM2-0-2-4-9-001"),
        "6.2.12",
    ),
    *_three(
        "zaptec",
        ("ZAP101001", "ZAP101002", "ZAP101003"),
        (
            "2a0d1b6e-0000-4000-8000-000000101001",
            "2a0d1b6e-0000-4000-8000-000000101002",
            "2a0d1b6e-0000-4000-8000-000000101003",
        ),
        ("4", "11", "1"),
        "2.3.1.2",
    ),
)


def seed_for(vendor: str) -> tuple[SeedCharger, ...]:
    return tuple(c for c in SEED_CHARGERS if c.vendor == vendor)
