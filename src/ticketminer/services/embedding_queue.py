"""The embedding queue: semantic vectors for tickets, off the ingest path.

A sentence encoder costs about a millisecond of CPU a short ticket, far more for long
ones, so ingest never waits for it. The queue is the change stream itself: every
ticket written after the queue's mark (a change number stored with the vectors) is
pending. A batch is read, texts whose vector is already stored (same model, same text
hash) are skipped, the rest embedded, and vectors and the new mark committed in one
transaction. A `kill -9` loses at most the batch in flight, which the next start
embeds again; nothing is lost or done twice in the store.

One process embeds at a time across replicas (the job lock). When a batch commits,
`on_embedded` hears which tickets of which tenant got which vectors, so their issue
can be re-assigned with the semantic model.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine

from ticketminer.domain.model import AuthorRole
from ticketminer.issues.embedders.base import Embedder, EmbedderUnavailable
from ticketminer.issues.embedding_text import embedding_text
from ticketminer.store.job_locks import JobLocks
from ticketminer.store.vectors_repo import (
    PendingTicket,
    VectorRow,
    backlog,
    count_vectors,
    high_water,
    missing,
    pending,
    set_high_water,
    stored_hashes,
    text_hash,
    write_vectors,
)

log = logging.getLogger(__name__)

BATCH = 128
IDLE_SECONDS = 1.0  # the loop's wait when there is nothing to embed
RETRY_SECONDS = 10.0  # after the backend was unavailable
MISCONFIGURED_SECONDS = 300.0  # after the backend refused the request itself
# A re-cluster embeds a tenant's missing vectors itself up to this many (about a
# minute of CPU with the default model); more are left to the queue.
TENANT_CATCH_UP = 50_000
# How long a re-cluster waits for the queue (one batch is about a second) before it
# clusters on the vectors already stored.
CATCH_UP_WAIT = 30.0
_JOB = "embedding"
_ALL_TENANTS = ""

# tenant, ticket pks, their vectors (rows match)
OnEmbedded = Callable[[str, np.ndarray, np.ndarray], None]


@dataclass(frozen=True, slots=True)
class QueueProgress:
    embedded: int  # tickets with a vector of the current model
    backlog: int  # tickets written after the queue's mark
    model: str


def opening_text(ticket: PendingTicket) -> str:
    """The embedding text of a stored ticket (see issues.embedding_text)."""
    first = ""
    if not ticket.description:
        for _external, role, _created, body, _public, _author in json.loads(ticket.messages_json):
            if role == int(AuthorRole.CUSTOMER) and body:
                first = body
                break
    return embedding_text(ticket.subject, ticket.description, [first] if first else [])


class EmbeddingQueue:
    def __init__(
        self,
        engine: Engine,
        embedder: Embedder,
        on_embedded: OnEmbedded | None = None,
        batch: int = BATCH,
    ) -> None:
        self._engine = engine
        self._embedder = embedder
        self.on_embedded = on_embedded
        self._batch = batch
        self._locks = JobLocks(engine)

    @property
    def model(self) -> str:
        return self._embedder.model_id

    def run_once(self) -> int | None:
        """Embed one batch; the number of tickets it covered (0: caught up), or None
        when another process holds the queue."""
        with self._locks.hold(_JOB, _ALL_TENANTS, wait=False) as mine:
            if not mine:
                return None
            return self._batch_once()

    def _batch_once(self) -> int:
        model = self.model
        with self._engine.connect() as conn:
            mark = high_water(conn, model)
            found = pending(conn, mark, self._batch)
            if not found:
                return 0
            stored = stored_hashes(conn, [t.pk for t in found], model)
        rows = self._embed(found, stored)
        with self._engine.begin() as conn:
            if high_water(conn, model) != mark:  # another process moved on meanwhile
                return 0
            write_vectors(conn, model, rows)
            set_high_water(conn, model, found[-1].version)
        self._notify(rows)
        return len(found)

    def _embed(self, found: Sequence[PendingTicket], stored: dict[int, str]) -> list[VectorRow]:
        """Vectors of the tickets whose text differs from the stored vector's."""
        texts = [opening_text(t) for t in found]
        hashes = [text_hash(t) for t in texts]
        todo = [i for i, t in enumerate(found) if stored.get(t.pk) != hashes[i]]
        if not todo:
            return []
        vectors = self._embedder.embed([texts[i] for i in todo])
        return [
            VectorRow(found[i].pk, found[i].tenant_id, hashes[i], found[i].version, vectors[j])
            for j, i in enumerate(todo)
        ]

    def embed_tenant(self, tenant_id: str, limit: int = TENANT_CATCH_UP) -> int:
        """Embed the tenant's tickets that lack a current vector, when there are at most
        `limit` of them (a re-cluster calls this first, so a fresh history is clustered
        on meaning at once; a larger backlog is the queue's to work through). The number
        embedded. It holds the queue's lock: the queue of another replica writing the
        same tickets' vectors at once would collide with these rows."""
        with self._locks.hold(_JOB, _ALL_TENANTS, timeout=CATCH_UP_WAIT) as mine:
            return self._embed_tenant(tenant_id, limit) if mine else 0

    def _embed_tenant(self, tenant_id: str, limit: int) -> int:
        model = self.model
        with self._engine.connect() as conn:
            found = missing(conn, tenant_id, model, limit + 1)
        if not found or len(found) > limit:
            return 0
        total = 0
        for start in range(0, len(found), self._batch * 8):
            part = found[start : start + self._batch * 8]
            with self._engine.connect() as conn:
                stored = stored_hashes(conn, [t.pk for t in part], model)
            rows = self._embed(part, stored)
            with self._engine.begin() as conn:
                write_vectors(conn, model, rows)
            total += len(rows)
        return total

    def _notify(self, rows: Sequence[VectorRow]) -> None:
        if self.on_embedded is None or not rows:
            return
        by_tenant: dict[str, list[VectorRow]] = defaultdict(list)
        for row in rows:
            by_tenant[row.tenant_id].append(row)
        for tenant, mine in by_tenant.items():
            pks = np.array([r.pk for r in mine], dtype=np.int64)
            try:
                self.on_embedded(tenant, pks, np.vstack([r.vector for r in mine]))
            except Exception:  # the vectors are stored; a re-cluster uses them anyway
                log.exception("re-assigning embedded tickets failed for tenant %s", tenant)

    def drain(self, progress: Callable[[int], None] | None = None) -> int:
        """Embed until caught up (the backfill); tickets covered."""
        total = 0
        while True:
            done = self.run_once()
            if not done:
                return total
            total += done
            if progress is not None:
                progress(done)

    def progress(self) -> QueueProgress:
        model = self.model
        with self._engine.connect() as conn:
            return QueueProgress(
                count_vectors(conn, model), backlog(conn, high_water(conn, model)), model
            )


class EmbeddingLoop:
    """Runs the queue in a background thread of the server until stopped."""

    def __init__(self, queue: EmbeddingQueue, enabled: bool = True) -> None:
        self._queue = queue
        self._enabled = enabled
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="embedding", daemon=True)

    def start(self) -> EmbeddingLoop:
        if self._enabled:
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop after the batch in flight (its vectors commit or roll back whole)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        wait = 0.0
        while not self._stop.wait(wait):
            try:
                done = self._queue.run_once()
                wait = 0.0 if done else IDLE_SECONDS
            except EmbedderUnavailable as exc:
                log.warning({"event": "embedder_unavailable", "error": str(exc)})
                wait = RETRY_SECONDS
            except ValueError as exc:  # the backend refused the request: a setting is wrong
                log.error({"event": "embedder_refused", "error": str(exc)})
                wait = MISCONFIGURED_SECONDS
            except Exception:
                log.exception("the embedding queue failed; retrying")
                wait = RETRY_SECONDS
