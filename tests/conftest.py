"""Real backends for the whole session; a clean database name for each test."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient

from evse_devstack.backends import Backend, NatsCluster, NatsServer, mongodb, nats
from evse_devstack.keys import KeyPair, ensure_keypair
from evse_runtime.mongo import Database, open_database
from tests.utils.bridge import nats_client
from tests.utils.databases import fresh_database
from tests.utils.processes import started


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport() -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """No garbage collection while a test's report is formed.

    To show a failing test's source, pytest runs `ast.parse`. On CPython before 3.11.8
    (gh-106905) a collection inside it can run a finalizer that parses too (an asyncio task's
    unretrieved error logged with its traceback, whose carets need `ast.parse`); the outer
    parse then raises "AST constructor recursion depth mismatch" and ends the whole session
    with an INTERNALERROR (seen in `make test`, after a failure in test_bridge_commands.py).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return (yield)
    finally:
        if collecting:
            gc.enable()


@pytest_asyncio.fixture(scope="session", autouse=True)
async def no_task_outlives_the_session() -> AsyncIterator[None]:
    """Stop what tests left running on the session's event loop, before the loop closes.

    The loop's own shutdown cancels leftover tasks once and waits for them without end. A
    nats-py client whose server a test stopped retries its connection every 2 s, and a cancel
    that lands while `asyncio.wait_for` completes is swallowed (Python 3.11), so one cancel
    can leave the whole run hanging after its last test. Cancelling again until they end
    cannot hang; what still runs after that is named on stderr.
    """
    yield
    current = asyncio.current_task()
    left: list[asyncio.Task[object]] = []
    for _ in range(100):
        left = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
        if not left:
            return
        for task in left:
            task.cancel()
        await asyncio.wait(left, timeout=0.1)
    sys.stderr.write(f"\ntasks that would not stop: {left}\n")


@pytest.fixture(scope="session")
def nats_backend() -> Iterator[Backend]:
    with nats() as backend:
        sys.stderr.write(f"\nNATS: {backend.kind}\n")
        yield backend


@pytest.fixture(scope="session")
def mongodb_backend() -> Iterator[Backend]:
    with mongodb() as backend:
        sys.stderr.write(f"\nMongoDB: {backend.kind}\n")
        yield backend


@pytest.fixture(scope="session")
def nats_url(nats_backend: Backend) -> str:
    return nats_backend.url


@pytest.fixture(scope="session")
def mongodb_url(mongodb_backend: Backend) -> str:
    return mongodb_backend.url


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    """The token-signing key pair onboarding signs with and the gateway verifies with."""
    return ensure_keypair(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def database_name() -> str:
    return fresh_database("test")


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A NATS server of this test's own, for tests that start and stop services on it."""
    with started(NatsServer(tmp_path / "nats")) as server:
        yield server


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    """Three clustered NATS nodes of this test's own, for tests that lose nodes."""
    with started(NatsCluster(tmp_path / "nats-cluster")) as cluster:
        yield cluster


@pytest_asyncio.fixture
async def nc(nats_url: str) -> AsyncIterator[NatsClient]:
    """A plain client of the test's NATS server (drained after the test)."""
    async with nats_client(nats_url) as client:
        yield client


@pytest_asyncio.fixture
async def private_nc(private_nats: NatsServer) -> AsyncIterator[NatsClient]:
    """A plain client of the test's own NATS server (drained after the test)."""
    async with nats_client(private_nats.url) as client:
        yield client


@pytest_asyncio.fixture
async def db(mongodb_url: str, database_name: str) -> AsyncIterator[Database]:
    """The test's own database."""
    async with open_database(mongodb_url, database_name) as database:
        yield database
