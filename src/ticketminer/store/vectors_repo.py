"""Semantic vectors of tickets, and the embedding queue's place in the change stream.

Vectors are stored once, as float16 bytes (half the size; cosine changes by under
1e-3), and read back by tenant for a re-cluster, which never calls the model. The
queue's high-water mark is a change number in `counters`, advanced in the same
transaction as the vectors it covers: after a crash the queue resumes exactly where
its last commit left it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine, delete, func, select, update

from ticketminer.store.bulk_sql import execute_many
from ticketminer.store.schema import counters, ticket_vectors, tickets

_IN_CHUNK = 500
_DTYPE = np.float16
# What a pending ticket is read as (see PendingTicket).
_PENDING_COLUMNS = (
    tickets.c.pk,
    tickets.c.tenant_id,
    tickets.c.version,
    tickets.c.subject,
    tickets.c.description,
    tickets.c.messages_json,
)


@dataclass(frozen=True, slots=True)
class PendingTicket:
    """A ticket written after the queue's mark, with the texts its opening is made of."""

    pk: int
    tenant_id: str
    version: int
    subject: str
    description: str
    messages_json: str


@dataclass(frozen=True, slots=True)
class VectorRow:
    pk: int
    tenant_id: str
    text_hash: str
    ticket_version: int
    vector: np.ndarray


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _mark_name(model: str) -> str:
    """The counters row of a model's mark (names are at most 64 characters)."""
    digest = hashlib.blake2b(model.encode(), digest_size=8).hexdigest()
    return f"embedded:{digest}"


def high_water(conn: Connection, model: str) -> int:
    found = conn.execute(
        select(counters.c.value).where(counters.c.name == _mark_name(model))
    ).scalar()
    return int(found or 0)


def set_high_water(conn: Connection, model: str, version: int) -> None:
    name = _mark_name(model)
    done = conn.execute(update(counters).where(counters.c.name == name).values(value=version))
    if not done.rowcount:
        conn.execute(counters.insert().values(name=name, value=version))


def pending(conn: Connection, after_version: int, limit: int) -> list[PendingTicket]:
    """Tickets written after `after_version`, in change order (versions follow commit
    order, so nothing committed later can appear below the mark)."""
    query = (
        select(*_PENDING_COLUMNS)
        .where(tickets.c.version > after_version)
        .order_by(tickets.c.version)
        .limit(limit)
    )
    return [PendingTicket(*row) for row in conn.execute(query)]


def missing(conn: Connection, tenant_id: str, model: str, limit: int) -> list[PendingTicket]:
    """Up to `limit` of the tenant's tickets with no vector of `model`, or one older
    than the ticket (a re-cluster embeds these first when there are few). Only tickets
    after the queue's mark: it has looked at every one before it (embedded it, or kept
    a vector of the same text), and the index on version keeps this check from
    joining a tenant's whole history (6 s at 1M tickets)."""
    query = (
        select(*_PENDING_COLUMNS)
        .select_from(
            tickets.outerjoin(
                ticket_vectors,
                (ticket_vectors.c.ticket_pk == tickets.c.pk) & (ticket_vectors.c.model == model),
            )
        )
        .where(
            tickets.c.tenant_id == tenant_id,
            tickets.c.version > high_water(conn, model),
            (ticket_vectors.c.ticket_pk.is_(None))
            | (ticket_vectors.c.ticket_version < tickets.c.version),
        )
        .order_by(tickets.c.pk)
        .limit(limit)
    )
    return [PendingTicket(*row) for row in conn.execute(query)]


def backlog(conn: Connection, after_version: int) -> int:
    """Tickets written after the mark: what the queue still has to look at."""
    query = select(func.count()).select_from(tickets).where(tickets.c.version > after_version)
    return int(conn.execute(query).scalar_one())


def stored_hashes(conn: Connection, pks: Sequence[int], model: str) -> dict[int, str]:
    """Text hash of each ticket's stored vector of `model`."""
    out: dict[int, str] = {}
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = [int(p) for p in pks[start : start + _IN_CHUNK]]
        query = select(ticket_vectors.c.ticket_pk, ticket_vectors.c.text_hash).where(
            ticket_vectors.c.ticket_pk.in_(chunk), ticket_vectors.c.model == model
        )
        out.update(dict(conn.execute(query).all()))
    return out


def write_vectors(conn: Connection, model: str, rows: Sequence[VectorRow]) -> None:
    """Insert or replace the vectors of `rows` (one per ticket)."""
    if not rows:
        return
    pks = [r.pk for r in rows]
    for start in range(0, len(pks), _IN_CHUNK):
        conn.execute(
            delete(ticket_vectors).where(
                ticket_vectors.c.ticket_pk.in_(pks[start : start + _IN_CHUNK])
            )
        )
    execute_many(
        conn,
        ticket_vectors.insert(),
        [
            {
                "ticket_pk": r.pk,
                "tenant_id": r.tenant_id,
                "model": model,
                "text_hash": r.text_hash,
                "ticket_version": r.ticket_version,
                "vector": np.asarray(r.vector, dtype=_DTYPE).tobytes(),
            }
            for r in rows
        ],
    )


def vector_dim(conn: Connection, model: str) -> int:
    """The dimension of `model`'s stored vectors (0: none stored yet)."""
    query = select(ticket_vectors.c.vector).where(ticket_vectors.c.model == model).limit(1)
    blob = conn.execute(query).scalar()
    return len(blob) // np.dtype(_DTYPE).itemsize if blob else 0


def count_vectors(conn: Connection, model: str, tenant_id: str | None = None) -> int:
    query = select(func.count()).select_from(ticket_vectors).where(ticket_vectors.c.model == model)
    if tenant_id is not None:
        query = query.where(ticket_vectors.c.tenant_id == tenant_id)
    return int(conn.execute(query).scalar_one())


def _decode(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    """float16 rows, as stored; a blob of another length (another model's) reads as
    zeros."""
    width = dim * np.dtype(_DTYPE).itemsize
    if all(len(b) == width for b in blobs):
        return np.frombuffer(b"".join(blobs), dtype=_DTYPE).reshape(len(blobs), dim)
    out = np.zeros((len(blobs), dim), dtype=_DTYPE)
    for i, blob in enumerate(blobs):
        if len(blob) == width:
            out[i] = np.frombuffer(blob, dtype=_DTYPE)
    return out


def _rows_of(conn: Connection, pks: Sequence[int], model: str) -> tuple[list[int], list[bytes]]:
    """(ticket pks, blobs) of the stored vectors of `pks`, by IN lists of _IN_CHUNK."""
    found_pks: list[int] = []
    blobs: list[bytes] = []
    c = ticket_vectors.c
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = [int(p) for p in pks[start : start + _IN_CHUNK]]
        query = select(c.ticket_pk, c.vector).where(c.ticket_pk.in_(chunk), c.model == model)
        for pk, blob in conn.execute(query):
            found_pks.append(int(pk))
            blobs.append(blob)
    return found_pks, blobs


class StoredVectors:
    """A tenant's vectors as an array-like over the snapshot's pks, read from the
    database a slice at a time: a fit indexes its sample and then walks all tickets in
    chunks, so a million vectors (1 GB even at half precision) never sit in memory."""

    def __init__(
        self, engine: Engine, tenant_id: str, model: str, pks: np.ndarray, dim: int
    ) -> None:
        self._engine = engine
        self._tenant_id = tenant_id
        self._model = model
        self._pks = pks  # sorted ascending
        self.shape = (len(pks), dim)

    def __len__(self) -> int:
        return len(self._pks)

    def __getitem__(self, index: slice | np.ndarray) -> np.ndarray:
        """float16 rows of the tickets at `index` (a slice or positions). A slice of
        the snapshot is one range scan of the key (a fit walks all tickets this way; IN
        lists were a quarter of a 1M-ticket re-cluster); positions go by IN lists."""
        wanted = self._pks[index]
        out = np.zeros((len(wanted), self.shape[1]), dtype=_DTYPE)
        if not len(wanted):
            return out
        with self._engine.connect() as conn:
            if isinstance(index, slice) and index.step in (None, 1):
                found, blobs = self._range(conn, int(wanted[0]), int(wanted[-1]))
            else:
                found, blobs = _rows_of(conn, wanted.tolist(), self._model)
        if not found:
            return out
        order = np.argsort(wanted, kind="stable")
        ordered = wanted[order]
        pks = np.asarray(found, dtype=np.int64)
        at = np.searchsorted(ordered, pks)
        hit = at < len(ordered)
        hit[hit] = ordered[at[hit]] == pks[hit]  # in the range but not in the snapshot
        out[order[at[hit]]] = _decode(blobs, self.shape[1])[hit]
        return out

    def _range(self, conn: Connection, first: int, last: int) -> tuple[list[int], list[bytes]]:
        c = ticket_vectors.c
        query = select(c.ticket_pk, c.vector).where(
            c.ticket_pk.between(first, last), c.tenant_id == self._tenant_id, c.model == self._model
        )
        rows = conn.execute(query).all()
        return [int(r[0]) for r in rows], [r[1] for r in rows]
