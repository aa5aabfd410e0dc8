"""Cancellation scopes: how work learns that the caller has given up.

The gRPC edge opens one scope per call (in a contextvar, so it follows the call's
worker thread and whatever runs under a copied context) and cancels it when the
call ends early: the client cancelled, or its deadline passed. Long loops call
`raise_if_cancelled()` at natural points; the store registers interrupts for the
database statements the call is running (see store/interrupts.py). Plain Python:
nothing here knows gRPC or SQL.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from ticketminer.domain.errors import Cancelled

_current: ContextVar[CancelScope | None] = ContextVar("ticketminer_cancel_scope", default=None)


class CancelScope:
    """One call's cancellation state; `deadline` is a time.monotonic() instant."""

    __slots__ = ("_callbacks", "_closed", "_ids", "_lock", "_reason", "cancelled_at", "deadline")

    def __init__(self, deadline: float | None = None) -> None:
        self.deadline = deadline
        self._lock = threading.Lock()
        self._reason: str | None = None  # "cancelled" or "deadline_exceeded" once cancelled
        self._closed = False
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self.cancelled_at: float | None = None

    @property
    def reason(self) -> str | None:
        """Why the scope was cancelled (None while it is not)."""
        if self._reason is None and self.deadline is not None and time.monotonic() >= self.deadline:
            return "deadline_exceeded"
        return self._reason

    @property
    def cancelled(self) -> bool:
        return self.reason is not None

    def cancel(self, deadline_exceeded: bool = False) -> bool:
        """Mark the scope cancelled and run the registered callbacks (each once);
        a no-op after `close()` (the work is over) or a first `cancel()`. Returns
        whether this call cancelled it."""
        with self._lock:
            if self._closed or self._reason is not None:
                return False
            self._reason = "deadline_exceeded" if deadline_exceeded else "cancelled"
            self.cancelled_at = time.monotonic()
            callbacks = list(self._callbacks.values())
            self._callbacks.clear()
        for callback in callbacks:
            with contextlib.suppress(Exception):
                callback()
        return True

    def close(self) -> None:
        """The work is done: later cancels do nothing."""
        with self._lock:
            self._closed = True
            self._callbacks.clear()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` when the scope is cancelled (now, if it is already);
        returns a function that unregisters it."""
        with self._lock:
            if self._reason is None and not self._closed:
                key = next(self._ids)
                self._callbacks[key] = callback
                return lambda: self._forget(key)
            fire = self._reason is not None
        if fire:
            with contextlib.suppress(Exception):
                callback()
        return _nothing

    def _forget(self, key: int) -> None:
        with self._lock:
            self._callbacks.pop(key, None)

    def check(self) -> None:
        """Raise Cancelled when the scope is cancelled or its deadline has passed."""
        reason = self.reason
        if reason is not None:
            raise Cancelled(deadline_exceeded=reason == "deadline_exceeded")


def _nothing() -> None:
    return None


def current_scope() -> CancelScope | None:
    """The scope of the call this code runs for (None outside any call)."""
    return _current.get()


def raise_if_cancelled() -> None:
    """Cheap: raise Cancelled if the current call has been given up."""
    scope = _current.get()
    if scope is not None:
        scope.check()


@contextlib.contextmanager
def cancel_scope(scope: CancelScope) -> Iterator[CancelScope]:
    """Run the block under `scope`; it is closed on the way out."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        scope.close()
        _current.reset(token)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """A point of no return (e.g. publishing a fitted model in several transactions):
    inside, nothing is cancelled and the statements run are not interrupted."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
