"""A small read-through cache whose entries live a few seconds.

Some rows are read on nearly every call and change rarely (a tenant's settings, an
API key, the active anomalies); a short life keeps those reads off the database
while another replica's change still shows within seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._items: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The cached value, or `load()` kept from now on (loads run unlocked)."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
        if hit is not None and now - hit[0] < self._seconds:
            return hit[1]
        value = load()
        self.put(key, value)
        return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)

    def forget(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)
