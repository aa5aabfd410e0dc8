"""A small, bounded read-through cache whose entries live a few seconds.

Some rows are read on nearly every call and change rarely (a tenant's settings, an
API key, the active anomalies); a short life keeps those reads off the database
while another replica's change still shows within seconds. Keys often come from
callers (tenant ids, key ids), so every cache has a maximum size too: when full, the
least recently used entry goes, and a flood of made-up keys cannot grow memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Generous: per-tenant entries are small, and evicting one only costs a reload.
DEFAULT_MAX_ENTRIES = 10_000


class TtlCache(Generic[K, V]):
    """Thread-safe (one lock around the cachetools TTLCache); loads run unlocked."""

    def __init__(
        self,
        seconds: float,
        maxsize: int = DEFAULT_MAX_ENTRIES,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        self._items: TTLCache = TTLCache(maxsize, max(0.0, seconds), timer=timer)
        self._lock = threading.Lock()
        # Bumped by forget(): a load that started before a forget must not store what
        # it read (e.g. a key revoked while it was being read).
        self._generation = 0

    def find(self, key: K) -> V | None:
        """The cached value while fresh, else None (no load)."""
        with self._lock:
            return self._items.get(key)

    def get(self, key: K, load: Callable[[], V], keep: Callable[[V], bool] | None = None) -> V:
        """The cached value, or `load()` kept from now on (loads run unlocked); with
        `keep`, only values it accepts are kept."""
        with self._lock:
            hit = self._items.get(key, _MISSING)
            generation = self._generation
        if hit is not _MISSING:
            return hit
        value = load()
        if keep is None or keep(value):
            with self._lock:
                if generation == self._generation:
                    self._items[key] = value
        return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value

    def forget(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)
            self._generation += 1

    def __len__(self) -> int:
        """Entries held, expired ones not yet dropped included (at most `maxsize`)."""
        with self._lock:
            return len(self._items)

    @property
    def maxsize(self) -> int:
        return int(self._items.maxsize)


_MISSING = object()
