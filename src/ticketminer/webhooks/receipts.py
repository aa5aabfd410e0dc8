"""Claims on signed deliveries: the first claim of a replay key wins, any later one
is a replay. A claim is released when its delivery is refused afterwards, so a
refused request leaves nothing stored. Old receipts are pruned now and then: past
the signature's time window a Zendesk replay is refused by its timestamp, and an old
Zammad body carries an old `updated_at` (STALE)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from ticketminer.domain.timeutil import to_us, utc_now
from ticketminer.store.webhook_receipts_repo import (
    delete_receipt,
    has_receipt,
    insert_receipt,
    prune_receipts,
)

RETENTION = timedelta(days=7)
PRUNE_EVERY = timedelta(minutes=10)


class Receipts:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = utc_now,
        retention: timedelta = RETENTION,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._retention = retention
        self._pruned_at: datetime | None = None
        self._guard = threading.Lock()

    def claim(self, digest: str) -> bool:
        """Whether this is the first delivery with this key (False: a replay)."""
        self._maybe_prune()
        with self._engine.connect() as conn:
            if has_receipt(conn, digest):  # the common replay costs no failed insert
                return False
        try:
            with self._engine.begin() as conn:
                insert_receipt(conn, digest, to_us(self._clock()))
        except IntegrityError:
            return False  # a concurrent delivery of the same key got there first
        return True

    def release(self, digest: str) -> None:
        with self._engine.begin() as conn:
            delete_receipt(conn, digest)

    def _maybe_prune(self) -> None:
        now = self._clock()
        with self._guard:
            if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
                return
            self._pruned_at = now
        with self._engine.begin() as conn:
            prune_receipts(conn, to_us(now - self._retention))
