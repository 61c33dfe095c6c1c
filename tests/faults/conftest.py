"""Fault tests kill NATS nodes. nats-py leaves a dead connection's stream writer to the
garbage collector, which warns once the event loop is gone: collect it inside the test that
killed the node (those modules ignore that warning), never in a later one."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def collect_dead_connections() -> Iterator[None]:
    yield
    gc.collect()
