"""Concurrent first upserts of one document, on the real MongoDB-protocol server.

Found by the import benchmark: 21 clients importing at once on a fresh registry made the
legacy-id counter's first upserts race, and the loser got no document back (a 500). Ids
must be distinct; a gap (an increment whose answer was lost) is harmless.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio

from evse_onboarding.identity import register_user
from evse_onboarding.identity_store import MongoIdentityStore
from evse_onboarding.registry_store import MongoRegistryStore
from evse_runtime.mongo import Database, open_database
from tests.utils.factories import create_tenant

CLIENTS = 100
ROUNDS = 20
"""The race is rare: each round starts from a database without the counter."""


@pytest_asyncio.fixture
async def db(mongodb_url: str, database_name: str) -> AsyncIterator[Database]:
    async with open_database(mongodb_url, database_name) as database:
        yield database
        await database.client.drop_database(database_name)


async def test_concurrent_first_counter_upserts_hand_out_distinct_ids(
    mongodb_url: str, database_name: str
) -> None:
    for round_ in range(ROUNDS):
        name = f"{database_name}_{round_}"
        async with open_database(mongodb_url, name) as fresh:
            registry = MongoRegistryStore(fresh)
            ids = await asyncio.gather(*(registry.next_evse_id() for _ in range(CLIENTS)))
            await fresh.client.drop_database(name)
        assert len(set(ids)) == CLIENTS and min(ids) == 1, round_


async def test_replicas_reserving_id_blocks_hand_out_distinct_ids(db: Database) -> None:
    """Three replicas drawing at once from blocks of 8: every id once, and one counter write
    per block (the round trip an enrolment no longer pays). The counter exists already: the
    race to create it is the test above's, and a loser of that race may waste a block."""
    await db["counters"].insert_one({"_id": "evse_id", "value": 0})
    replicas = [MongoRegistryStore(db, evse_id_block=8) for _ in range(3)]
    ids = await asyncio.gather(*(replicas[i % 3].next_evse_id() for i in range(CLIENTS)))
    assert len(set(ids)) == CLIENTS
    counter = await db["counters"].find_one({"_id": "evse_id"})
    assert counter is not None
    blocks = counter["value"] // 8
    assert counter["value"] % 8 == 0 and blocks <= CLIENTS // 8 + 3
    assert set(ids) <= set(range(1, counter["value"] + 1))


async def test_concurrent_registrations_of_one_email_make_one_user(db: Database) -> None:
    identities = MongoIdentityStore(db)
    await identities.ensure_indexes()
    tenant = await create_tenant(identities, "race", "first@race.example")
    application = await identities.application(tenant.application_uid)
    assert application is not None
    users = await asyncio.gather(
        *(
            register_user(
                store=identities,
                application=application,
                email="same@race.example",
                now=datetime.now(UTC),
            )
            for _ in range(CLIENTS)
        )
    )
    assert len({user.uid for user in users}) == 1
