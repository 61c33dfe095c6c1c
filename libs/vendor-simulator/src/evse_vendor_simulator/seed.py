"""The deterministic seed: per vendor, three users' accounts owning one charger each.

Tests and `make run` reuse these serials and logins. A vendor account is a username and a
password, as each vendor's app signs in; `alice`, `bob` and `carol` have an account at each
cloud vendor (`<name>@example.com`, password `sim-<vendor>-<name>`), owning that vendor's
first, second and third charger. No charger carries an owner email: ownership is the
account's relation to the charger, as at the real vendors.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACCOUNT_NAMES",
    "SEED_ACCOUNTS",
    "SEED_CHARGERS",
    "SeedAccount",
    "SeedCharger",
    "account_password",
    "account_username",
    "owner_account",
    "seed_for",
]

ACCOUNT_NAMES = ("alice", "bob", "carol")


def account_username(name: str) -> str:
    return f"{name}@example.com"


def account_password(vendor: str, name: str) -> str:
    return f"sim-{vendor}-{name}"


@dataclass(frozen=True)
class SeedAccount:
    vendor: str
    username: str
    password: str


@dataclass(frozen=True)
class SeedCharger:
    vendor: str
    serial_number: str
    device_id: str
    owner: str
    """The username of the vendor account the charger belongs to."""
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
        SeedCharger(vendor, serial, device_id, account_username(name), model, firmware)
        for serial, device_id, name, model in zip(serials, ids, ACCOUNT_NAMES, models, strict=True)
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

SEED_ACCOUNTS: tuple[SeedAccount, ...] = tuple(
    SeedAccount(vendor, account_username(name), account_password(vendor, name))
    for vendor in ("chargepoint", "easee", "wallbox", "zaptec")
    for name in ACCOUNT_NAMES
)


def seed_for(vendor: str) -> tuple[SeedCharger, ...]:
    return tuple(c for c in SEED_CHARGERS if c.vendor == vendor)


def owner_account(charger: SeedCharger) -> SeedAccount:
    """The seeded vendor account that owns `charger`."""
    return next(
        a for a in SEED_ACCOUNTS if a.vendor == charger.vendor and a.username == charger.owner
    )
