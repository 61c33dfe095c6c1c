"""The gateway's catalogue cache: byte bound, expiry and entity tags."""

from __future__ import annotations

from evse_gateway.catalogue_cache import CatalogueCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_least_recently_used_bodies_leave_once_the_byte_bound_is_passed() -> None:
    cache = CatalogueCache(max_bytes=25, max_age_s=60)
    cache.put("a", b"x" * 10)
    cache.put("b", b"y" * 10)
    assert cache.get("a") is not None
    cache.put("c", b"z" * 10)
    assert cache.get("b") is None
    assert cache.get("a") is not None
    assert cache.get("c") is not None


def test_replacing_a_body_counts_only_the_new_one() -> None:
    cache = CatalogueCache(max_bytes=20, max_age_s=60)
    for _ in range(5):
        cache.put("a", b"x" * 10)
    cache.put("b", b"y" * 10)
    assert cache.get("a") is not None


def test_a_body_expires_after_max_age() -> None:
    clock = Clock()
    cache = CatalogueCache(max_bytes=100, max_age_s=60, clock=clock)
    cache.put("a", b"{}")
    clock.now = 59.9
    assert cache.get("a") is not None
    clock.now = 60.0
    assert cache.get("a") is None


def test_equal_bodies_share_a_tag_and_different_ones_do_not() -> None:
    cache = CatalogueCache(max_bytes=100, max_age_s=60)
    assert cache.put("a", b"[1]").etag == cache.put("b", b"[1]").etag
    assert cache.put("c", b"[2]").etag != cache.get("a").etag  # type: ignore[union-attr]
    cache.clear()
    assert cache.get("a") is None
