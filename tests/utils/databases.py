"""Database names of a test's own."""

from __future__ import annotations

import uuid


def fresh_database(name: str) -> str:
    """A database name no other test or run has used: `name` and a random suffix.

    A fresh name needs no dropping first, and leaves what one test wrote out of the next.
    """
    return f"{name}_{uuid.uuid4().hex[:12]}"
