"""What fault tests count, written to stderr (`pytest -rP` shows it) for the closing note."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from typing import Any

from evse_runtime.mongo import Database

__all__ = ["duplicate_keys", "report"]


def report(test: str, **counts: object) -> None:
    line = ", ".join(f"{name}={value}" for name, value in counts.items())
    sys.stderr.write(f"\nfault counts [{test}]: {line}\n")


async def duplicate_keys(
    db: Database, collection: str, key: str = "sampled_at", evse_uids: Iterable[str] = ()
) -> tuple[int, int]:
    """(documents, documents sharing their `(evse_uid, key)` with another) in `collection`."""
    uids = list(evse_uids)
    query: dict[str, Any] = {"evse_uid": {"$in": uids}} if uids else {}
    cursor = db[collection].find(query, {"_id": 0, "evse_uid": 1, key: 1})
    keys = Counter([(doc["evse_uid"], doc[key]) async for doc in cursor])
    return sum(keys.values()), sum(n - 1 for n in keys.values() if n > 1)
