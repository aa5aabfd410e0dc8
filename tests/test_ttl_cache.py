"""The short-lived, bounded read-through cache behind settings, API keys and active
anomalies."""

from __future__ import annotations

import threading

import pytest

from ticketminer.services.ttl_cache import TtlCache


class FakeTimer:
    """A clock the test moves by hand (cachetools' TTLCache takes it as `timer`)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_loads_once_while_fresh_and_again_after_forget_or_expiry() -> None:
    loads: list[str] = []

    def load(key: str):
        return lambda: loads.append(key) or f"value of {key}"

    cache: TtlCache[str, str] = TtlCache(60, 10)
    assert cache.get("a", load("a")) == cache.get("a", load("a")) == "value of a"
    assert loads == ["a"]
    cache.put("a", "newer")
    assert cache.get("a", load("a")) == "newer" and loads == ["a"]
    cache.forget("a")
    assert cache.get("a", load("a")) == "value of a" and loads == ["a", "a"]
    stale: TtlCache[str, str] = TtlCache(0, 10)
    stale.get("b", load("b"))
    stale.get("b", load("b"))
    assert loads.count("b") == 2


def test_entries_expire_after_their_seconds_on_the_cache_timer() -> None:
    timer = FakeTimer()
    loads: list[int] = []
    cache: TtlCache[str, int] = TtlCache(5, 10, timer=timer)

    def load() -> int:
        loads.append(1)
        return len(loads)

    assert cache.get("k", load) == 1
    timer.now += 4.9
    assert cache.get("k", load) == 1 and cache.find("k") == 1
    timer.now += 0.1  # 5 s after the load: gone
    assert cache.find("k") is None
    assert cache.get("k", load) == 2 and len(loads) == 2


def test_never_holds_more_than_maxsize_and_drops_the_least_recently_used() -> None:
    cache: TtlCache[int, int] = TtlCache(60, 3)
    for i in range(3):
        cache.put(i, i)
    cache.find(0)  # used: 1 is now the least recently used
    for i in range(3, 1000):
        cache.put(i, i)
        assert len(cache) <= 3
    assert len(cache) == cache.maxsize == 3
    cache2: TtlCache[int, int] = TtlCache(60, 3)
    for i in range(3):
        cache2.put(i, i)
    cache2.find(0)
    cache2.put(3, 3)
    assert cache2.find(0) == 0 and cache2.find(1) is None


def test_keep_decides_what_is_stored() -> None:
    cache: TtlCache[str, int | None] = TtlCache(60, 10)
    assert cache.get("none", lambda: None, keep=lambda v: v is not None) is None
    assert len(cache) == 0
    assert cache.get("one", lambda: 1, keep=lambda v: v is not None) == 1
    assert len(cache) == 1


def test_a_load_racing_a_forget_does_not_store_what_it_read() -> None:
    cache: TtlCache[str, str] = TtlCache(60, 10)
    loading, forgotten = threading.Event(), threading.Event()

    def slow_load() -> str:
        loading.set()
        forgotten.wait(10)
        return "read before the forget"

    reader = threading.Thread(target=lambda: cache.get("k", slow_load))
    reader.start()
    loading.wait(10)
    cache.forget("k")  # e.g. a key revoked while it was being read
    forgotten.set()
    reader.join(10)
    assert cache.find("k") is None
    assert cache.get("k", lambda: "fresh") == "fresh"


def test_maxsize_must_be_positive() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        TtlCache(5, 0)
