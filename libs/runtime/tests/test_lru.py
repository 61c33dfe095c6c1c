"""`LruCache` keeps entries up to its bound, by count or by size, least recently used out first."""

from __future__ import annotations

from evse_runtime.lru import LruCache


def test_past_the_count_the_least_recently_used_entry_leaves() -> None:
    cache: LruCache[str, int] = LruCache(max_size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert [cache.get(key) for key in ("a", "b", "c")] == [1, None, 3]
    assert len(cache) == 2


def test_a_size_function_bounds_the_sum_of_sizes() -> None:
    cache: LruCache[str, bytes] = LruCache(max_size=25, size=lambda _, value: len(value))
    for key in ("a", "b"):
        cache.put(key, b"x" * 10)
    cache.put("c", b"x" * 10)
    assert "a" not in cache
    assert ("b" in cache, "c" in cache) == (True, True)
    assert cache.held == 20


def test_a_size_function_may_count_the_key_too() -> None:
    cache: LruCache[bytes, bytes] = LruCache(max_size=10, size=lambda k, v: len(k) + len(v))
    assert cache.put(b"12345", b"12345")
    assert not cache.put(b"123456", b"12345")
    assert cache.held == 10


def test_replacing_an_entry_counts_only_the_new_value_and_makes_it_recent() -> None:
    cache: LruCache[str, bytes] = LruCache(max_size=20, size=lambda _, value: len(value))
    cache.put("a", b"x" * 10)
    cache.put("b", b"y" * 10)
    for _ in range(5):
        cache.put("a", b"z" * 10)
    assert cache.held == 20
    cache.put("c", b"w" * 10)
    assert [cache.get(key) for key in ("a", "b", "c")] == [b"z" * 10, None, b"w" * 10]


def test_an_entry_larger_than_the_bound_is_not_kept_and_drops_nothing_else() -> None:
    cache: LruCache[str, bytes] = LruCache(max_size=10, size=lambda _, value: len(value))
    cache.put("a", b"x" * 5)
    assert not cache.put("b", b"y" * 11)
    assert (cache.get("a"), cache.get("b")) == (b"x" * 5, None)


def test_a_bound_of_zero_keeps_nothing() -> None:
    cache: LruCache[str, int] = LruCache(max_size=0)
    assert not cache.put("a", 1)
    assert (len(cache), cache.get("a")) == (0, None)


def test_pop_and_clear_give_back_the_room() -> None:
    cache: LruCache[str, bytes] = LruCache(max_size=20, size=lambda _, value: len(value))
    cache.put("a", b"x" * 10)
    cache.put("b", b"y" * 10)
    assert cache.pop("a") == b"x" * 10
    assert cache.pop("a") is None
    assert cache.held == 10
    cache.clear()
    assert (len(cache), cache.held, cache.get("b")) == (0, 0, None)
