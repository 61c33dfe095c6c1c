"""Fixtures that several integration modules share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from evse_devstack.backends import NatsServer
from evse_devstack.keys import KeyPair
from evse_runtime.mongo import Database, open_database
from tests.utils.bridge import nats_client
from tests.utils.databases import fresh_database
from tests.utils.notifications import NotifierApi, notifier_api
from tests.utils.processes import started
from tests.utils.services import running_catalogue, running_gateway, running_telemetry
from tests.utils.telemetry import TEST_APPLICATION
from tests.utils.tokens import application_bearer


@pytest_asyncio.fixture(scope="module")
async def catalogue_database(nats_url: str, mongodb_url: str) -> AsyncIterator[str]:
    """The name of the module's own seeded catalogue database, served on the session NATS."""
    database = fresh_database("test_catalogue")
    async with running_catalogue(nats_url=nats_url, mongodb_url=mongodb_url, database=database):
        yield database


@pytest_asyncio.fixture(scope="module")
async def catalogue_api(catalogue_database: str, nats_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a gateway in front of the module's catalogue."""
    async with (
        running_gateway(nats_url=nats_url) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def module_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A NATS server of the module's own, so its services' streams start empty."""
    with started(NatsServer(tmp_path_factory.mktemp("nats"))) as server:
        yield server


@pytest_asyncio.fixture(scope="module")
async def telemetry_db(mongodb_url: str) -> AsyncIterator[Database]:
    """The module's own telemetry database."""
    async with open_database(mongodb_url, fresh_database("test_telemetry")) as database:
        yield database


@pytest_asyncio.fixture(scope="module")
async def telemetry(
    module_nats: NatsServer, mongodb_url: str, telemetry_db: Database
) -> AsyncIterator[None]:
    """Telemetry on `module_nats`, writing to `telemetry_db`, for the module."""
    async with running_telemetry(
        nats_url=module_nats.url, mongodb_url=mongodb_url, database=telemetry_db.name
    ):
        yield


@pytest_asyncio.fixture(scope="module")
async def telemetry_nc(telemetry: None, module_nats: NatsServer) -> AsyncIterator[NatsClient]:
    """A client of `module_nats`, where telemetry runs."""
    async with nats_client(module_nats.url) as client:
        yield client


@pytest.fixture(scope="module")
def telemetry_js(telemetry_nc: NatsClient) -> JetStreamContext:
    return telemetry_nc.jetstream()


@pytest_asyncio.fixture(scope="module")
async def telemetry_api(
    telemetry: None, module_nats: NatsServer, keys: KeyPair
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway client of the application that `onboard` gives EVSEs to by default."""
    async with (
        running_gateway(
            nats_url=module_nats.url, jwt_public_key_file=keys.public_key_file
        ) as base_url,
        httpx.AsyncClient(
            base_url=base_url, headers=application_bearer(keys, TEST_APPLICATION), timeout=30
        ) as client,
    ):
        yield client


@pytest_asyncio.fixture
async def notifications_api(
    private_nats: NatsServer, mongodb_url: str, database_name: str, keys: KeyPair
) -> AsyncIterator[NotifierApi]:
    """The notifier and a gateway on the test's own NATS, with clients of both."""
    async with notifier_api(
        nats_url=private_nats.url, mongodb_url=mongodb_url, database=database_name, keys=keys
    ) as running:
        yield running
