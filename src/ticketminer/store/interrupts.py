"""Interrupting the database statements of a call that was given up.

Pool events tie every DB-API connection checked out under a cancellation scope
(see domain/cancellation.py) to that scope until it is checked in again; when the
scope is cancelled, the statement running on it is interrupted: SQLite's
`Connection.interrupt()` (thread-safe, immediate) or a PostgreSQL cancel request
(`cancel_safe()`, sent from a helper thread because it is network I/O and scopes
are cancelled from gRPC's polling thread). Connections used without a scope (the
group-commit writer, schedulers, warm-up) are never tracked, so one caller giving
up can never interrupt a batch shared with others. A new statement started under a
cancelled scope raises Cancelled instead of running.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, event

from ticketminer.domain.cancellation import current_scope, raise_if_cancelled

log = logging.getLogger(__name__)

_KEY = "ticketminer_interrupt"
# Bounds a PostgreSQL cancel request (it opens a connection of its own).
CANCEL_TIMEOUT_SECONDS = 3.0


class _Tracked:
    """One checked-out connection of one scope. The lock orders an interrupt against
    the check-in: once checked in, the connection is never interrupted for that
    scope (the next borrower's statements are not ours to stop)."""

    __slots__ = ("active", "dbapi", "forget", "lock")

    def __init__(self, dbapi: Any) -> None:
        self.dbapi = dbapi
        self.active = True
        self.lock = threading.Lock()
        self.forget = _nothing

    def interrupt(self) -> None:
        if hasattr(self.dbapi, "interrupt"):  # sqlite3: immediate, from any thread
            self._run(self.dbapi.interrupt)
        elif hasattr(self.dbapi, "cancel_safe") or hasattr(self.dbapi, "cancel"):
            threading.Thread(
                target=self._run, args=(self._cancel_postgres,), name="db-cancel", daemon=True
            ).start()

    def _cancel_postgres(self) -> None:
        if hasattr(self.dbapi, "cancel_safe"):
            self.dbapi.cancel_safe(timeout=CANCEL_TIMEOUT_SECONDS)
        else:
            self.dbapi.cancel()

    def _run(self, action) -> None:
        with self.lock:
            if not self.active:
                return
            try:
                action()
                log.debug({"event": "db_statement_interrupted"})
            except Exception as exc:  # closed connection, database gone: nothing to stop
                log.debug({"event": "db_interrupt_failed", "error": repr(exc)})

    def release(self) -> None:
        with self.lock:
            self.active = False
        self.forget()


def _nothing() -> None:
    return None


def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    scope = current_scope()
    if scope is None:
        return
    tracked = _Tracked(dbapi_connection)
    record.info[_KEY] = tracked
    tracked.forget = scope.on_cancel(tracked.interrupt)


def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is None:
        return
    tracked = record.info.pop(_KEY, None)
    if tracked is not None:
        tracked.release()


def _before_execute(_conn, _cursor, statement, parameters, _context, _executemany):
    raise_if_cancelled()  # a call given up starts no new statement
    return statement, parameters


def track_interrupts(engine: Engine) -> Engine:
    """Make `engine`'s statements interruptible by the caller's cancellation scope."""
    event.listen(engine, "checkout", _on_checkout)
    event.listen(engine, "checkin", _on_checkin)
    event.listen(engine, "before_cursor_execute", _before_execute, retval=True)
    return engine
