"""The short-lived read-through cache behind settings, API keys and active anomalies."""

from __future__ import annotations

from ticketminer.services.ttl_cache import TtlCache


def test_loads_once_while_fresh_and_again_after_forget_or_expiry() -> None:
    loads: list[str] = []

    def load(key: str):
        return lambda: loads.append(key) or f"value of {key}"

    cache: TtlCache[str, str] = TtlCache(60)
    assert cache.get("a", load("a")) == cache.get("a", load("a")) == "value of a"
    assert loads == ["a"]
    cache.put("a", "newer")
    assert cache.get("a", load("a")) == "newer" and loads == ["a"]
    cache.forget("a")
    assert cache.get("a", load("a")) == "value of a" and loads == ["a", "a"]
    stale: TtlCache[str, str] = TtlCache(0)
    stale.get("b", load("b"))
    stale.get("b", load("b"))
    assert loads.count("b") == 2
