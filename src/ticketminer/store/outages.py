"""Which database errors mean "cannot serve now" (down, unreachable, restarting,
locked, out of connections) rather than "this request or the code is wrong": the
first are UNAVAILABLE to a caller, who may retry, and are not worth retrying
item by item in a shared batch."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

_SQLITE_ERROR = 1  # SQLite's generic code: bad SQL, missing table (a bug, not an outage)


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot serve now (down, unreachable, restarting,
    locked, out of connections) rather than that the request or the code is wrong."""
    if isinstance(exc, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True  # a dead pooled connection; no pooled connection free in time
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is None or code & 0xFF != _SQLITE_ERROR
