"""Build test data through the services' own stores and domain functions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from evse_catalogue.seed import load_seed
from evse_contracts.catalogue import EvseMakeSummary
from evse_contracts.evses import EvseModelSummary
from evse_contracts.ids import new_uid
from evse_onboarding.evse_record import EvseRecord
from evse_onboarding.identity import register_application, register_user
from evse_onboarding.identity_store import IdentityStore, MongoIdentityStore
from evse_onboarding.registry_store import RegistryStore
from evse_runtime.mongo import open_database


@dataclass(frozen=True)
class Tenant:
    """An application with one user, and the credentials to get their tokens."""

    client_id: str
    client_secret: str
    application_uid: str
    user_uid: str


@asynccontextmanager
async def identity_store(mongodb_url: str, database: str) -> AsyncIterator[MongoIdentityStore]:
    """Onboarding's identity store in `database`, with its indexes, to create tenants in."""
    async with open_database(mongodb_url, database) as db:
        store = MongoIdentityStore(db)
        await store.ensure_indexes()
        yield store


async def create_tenant(store: IdentityStore, name: str, email: str | None = None) -> Tenant:
    now = datetime.now(UTC)
    app = await register_application(
        store=store,
        name=name,
        client_id=f"{name}-client",
        client_secret=f"{name}-secret",
        onboarding_redirect_url=f"https://{name}.example/done",
        program_id=None,
        now=now,
    )
    user = await register_user(
        store=store, application=app, email=email or f"driver@{name}.example", now=now
    )
    return Tenant(app.client_id, f"{name}-secret", app.uid, user.uid)


def model_uid(name: str) -> str:
    """The uid of the seeded catalogue model of this name."""
    uid: str = next(m["uid"] for m in load_seed()["evse_models"] if m["name"] == name)
    return uid


def make_uid(name: str) -> str:
    """The uid of the seeded catalogue make of this name."""
    uid: str = next(m["uid"] for m in load_seed()["evse_makes"] if m["name"] == name)
    return uid


def seeded_model(name: str) -> tuple[EvseMakeSummary, EvseModelSummary, str | None]:
    """A seeded catalogue model by name: its make, itself, and its provider."""
    seed = load_seed()
    model = next(m for m in seed["evse_models"] if m["name"] == name)
    make = next(m for m in seed["evse_makes"] if m["uid"] == model["evse_make_uid"])
    return (
        EvseMakeSummary(uid=make["uid"], name=make["name"]),
        EvseModelSummary(uid=model["uid"], name=model["name"]),
        model["provider"],
    )


async def create_evse(
    store: RegistryStore,
    tenant: Tenant,
    *,
    serial_number: str,
    model: str = "Zaptec Go",
    with_user: bool = True,
) -> EvseRecord:
    make, evse_model, provider = seeded_model(model)
    record = EvseRecord(
        uid=new_uid("evse"),
        evse_id=await store.next_evse_id(),
        application_uid=tenant.application_uid,
        user_uid=tenant.user_uid if with_user else None,
        evse_make=make,
        evse_model=evse_model,
        onboarding_method="serial",
        provider=provider,
        serial_number=serial_number,
        vendor_device_id=None,
        state="active",
        onboarded_at=datetime.now(UTC),
    )
    await store.insert(record)
    return record
