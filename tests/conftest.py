"""Real backends for the whole session; a clean database name for each test."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from evse_devstack.backends import Backend, NatsCluster, NatsServer, mongodb, nats
from evse_devstack.keys import KeyPair, ensure_keypair


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
    return f"test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A NATS server of this test's own, for tests that start and stop services on it."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    """Three clustered NATS nodes of this test's own, for tests that lose nodes."""
    cluster = NatsCluster(tmp_path / "nats-cluster")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
