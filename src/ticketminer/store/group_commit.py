"""Group commit: one writer thread folds many callers' work into one transaction.

A durable commit costs an fsync. With 32 calls in flight, paying it once per batch
instead of once per ticket is what makes acknowledged-means-durable affordable.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine

from ticketminer.domain.errors import Unavailable
from ticketminer.store.outages import database_unavailable

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# Applies a batch inside an open transaction; returns one result per item, in order.
BatchWriter = Callable[[Connection, Sequence[Item]], list[Result]]


@dataclass(slots=True)
class _Unit(Generic[Item, Result]):
    items: Sequence[Item]
    future: Future[list[Result]] = field(default_factory=Future)


_STOP = object()


class GroupCommitter(Generic[Item, Result]):
    """Serialises writes through one thread; a future resolves only after COMMIT."""

    def __init__(self, engine: Engine, write: BatchWriter, max_batch_items: int = 4000) -> None:
        self._engine = engine
        self._write = write
        self._max_batch_items = max_batch_items
        self._queue: queue.Queue[_Unit | object] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def submit(self, items: Sequence[Item]) -> Future[list[Result]]:
        unit: _Unit[Item, Result] = _Unit(items)
        if self._closed:
            unit.future.set_exception(Unavailable("the store is shutting down"))
        else:
            self._queue.put(unit)
        return unit.future

    def write(self, items: Sequence[Item]) -> list[Result]:
        return self.submit(items).result()

    def close(self) -> None:
        """Finish queued work, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join()

    def _take_batch(self, first: _Unit) -> tuple[list[_Unit], bool]:
        units, size, stop = [first], len(first.items), False
        while size < self._max_batch_items:
            try:
                nxt = self._queue.get_nowait()
            except queue.Empty:
                break
            if nxt is _STOP:
                stop = True
                break
            units.append(nxt)  # type: ignore[arg-type]
            size += len(nxt.items)  # type: ignore[union-attr]
        return units, stop

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            units, stop = self._take_batch(first)  # type: ignore[arg-type]
            self._commit(units)
            if stop:
                return

    def _commit(self, units: list[_Unit]) -> None:
        items = [item for unit in units for item in unit.items]
        try:
            with self._engine.begin() as conn:
                results = self._write(conn, items)
        except Exception as exc:
            outage = database_unavailable(exc)
            if len(units) > 1 and not outage:
                # One caller's bad data must not fail the others: retry alone. Not in an
                # outage, where each retry would wait out the connect timeout in turn.
                for unit in units:
                    self._commit([unit])
                return
            if outage:
                log.warning("write of %d items failed: the database is unavailable", len(items))
            else:
                log.exception("write of %d items failed", len(items))
            for unit in units:
                # The driver's text (hosts, SQL) stays in the log, not in the status.
                error = Unavailable("the write was not stored (database error); retry")
                error.__cause__ = exc
                unit.future.set_exception(error)
            return
        offset = 0
        for unit in units:
            unit.future.set_result(results[offset : offset + len(unit.items)])
            offset += len(unit.items)
