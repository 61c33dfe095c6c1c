"""`upsert_and_fetch` tries again when a concurrent first upsert lost its race."""

from __future__ import annotations

from typing import Any, cast

import pytest
from pymongo.errors import DuplicateKeyError

from evse_runtime.mongo import Document, upsert_and_fetch


class LosingCollection:
    """Answers `find_one_and_update` with the given outcomes in turn."""

    name = "counters"

    def __init__(self, *outcomes: Document | None | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    async def find_one_and_update(self, *_: Any, **__: Any) -> Document | None:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


async def test_a_lost_race_is_tried_again_until_the_document_comes_back() -> None:
    collection = LosingCollection(DuplicateKeyError("E11000"), None, {"_id": "c", "value": 2})
    doc = await upsert_and_fetch(cast(Any, collection), {"_id": "c"}, {"$inc": {"value": 1}})
    assert doc == {"_id": "c", "value": 2}
    assert collection.calls == 3


async def test_an_upsert_that_never_wins_is_an_error_not_a_none() -> None:
    collection = LosingCollection(*[None] * 10)
    with pytest.raises(RuntimeError, match="kept losing races"):
        await upsert_and_fetch(cast(Any, collection), {"_id": "c"}, {"$inc": {"value": 1}})
