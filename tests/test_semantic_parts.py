"""The parts of semantic issue discovery, each on hand-made input: fusion, the issue
merge, label phrases, stored vectors and the embedding queue."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from builders import at, customer, ticket

from ticketminer.issues import fusion
from ticketminer.issues import granularity as gr
from ticketminer.issues import phrases as ph
from ticketminer.services.embedding_queue import EmbeddingQueue
from ticketminer.store.job_locks import JobLocks
from ticketminer.store.vectors_repo import StoredVectors, count_vectors, high_water


def _unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


# -- fusion --------------------------------------------------------------------------


def test_fused_cosine_is_the_weighted_sum_of_the_parts():
    lex = np.vstack([_unit(1, 0, 0), _unit(1, 1, 0)])
    sem = np.vstack([_unit(0, 1), _unit(1, 1)])
    z = fusion.fuse(lex, sem, 0.7)
    expected = 0.3 * float(lex[0] @ lex[1]) + 0.7 * float(sem[0] @ sem[1])
    assert float(z[0] @ z[1]) == pytest.approx(expected, abs=1e-6)
    assert np.allclose(np.linalg.norm(z, axis=1), 1.0)


def test_a_ticket_without_a_vector_keeps_a_unit_lexical_block():
    z = fusion.fuse(np.vstack([_unit(3, 4)]), np.zeros((1, 2), dtype=np.float32), 0.7)
    assert np.allclose(z[0, :2], _unit(3, 4)) and not z[0, 2:].any()
    assert np.allclose(fusion.lexical_block(z, 2), _unit(3, 4))


# -- issues from sub-issues ----------------------------------------------------------


def test_a_problem_in_two_languages_is_one_issue_and_other_problems_stay_apart():
    parcel_zh, parcel_en = _unit(1, 0.05, 0), _unit(1, -0.05, 0.05)
    refund = _unit(0, 1, 0)
    centroids = np.vstack([parcel_zh, parcel_en, refund])
    cohesion = np.array([0.9, 0.9, 0.9])
    languages = np.array([gr.CJK, gr.LATIN, gr.CJK])
    parents = gr.merge_sub_issues(centroids, cohesion, languages, 0.95, 0.2)
    assert parents[0] == parents[1] != parents[2]


def test_the_language_bonus_joins_a_translation_but_not_an_unrelated_problem():
    a, b = _unit(1, 0), _unit(1, 0.9)  # cosine 0.74: a translation's typical distance
    far = _unit(1, 3)  # cosine 0.32 to a: another problem
    cohesion = np.array([0.9, 0.9])
    same = gr.merge_sub_issues(np.vstack([a, b]), cohesion, np.array([gr.CJK, gr.CJK]), 0.95, 0.2)
    cross = gr.merge_sub_issues(
        np.vstack([a, b]), cohesion, np.array([gr.CJK, gr.LATIN]), 0.95, 0.2
    )
    apart = gr.merge_sub_issues(
        np.vstack([a, far]), cohesion, np.array([gr.CJK, gr.LATIN]), 0.95, 0.2
    )
    assert same[0] != same[1] and cross[0] == cross[1] and apart[0] != apart[1]


def test_a_loose_sub_issue_does_not_draw_in_a_tight_one():
    tight, loose = _unit(1, 0), _unit(1, 0.55)  # cosine 0.88
    centroids = np.vstack([tight, loose])
    parents = gr.merge_sub_issues(centroids, np.array([0.95, 0.6]), np.array([-1, -1]), 0.95, 0)
    assert parents[0] != parents[1]  # against the tighter one's 0.95 it is not close


def test_scripts_of_docs_and_sub_issues():
    docs = [["包裹", "没到"], ["parcel", "late"], ["app", "闪退", "崩溃"], []]
    assert gr.script_of(docs).tolist() == [gr.CJK, gr.LATIN, gr.CJK, gr.MIXED]
    labels = np.array([0, 0, 0, 1, 1])
    scripts = np.array([gr.CJK, gr.CJK, gr.CJK, gr.LATIN, gr.CJK])
    assert gr.sub_issue_languages(labels, scripts, 2).tolist() == [gr.CJK, gr.MIXED]


# -- label phrases -------------------------------------------------------------------


def test_phrases_are_written_the_languages_way():
    assert ph.join_tokens(["退款", "没", "到账"]) == "退款没到账"
    assert ph.join_tokens(["parcel", "not", "delivered"]) == "parcel not delivered"
    assert ph.join_tokens(["app", "闪退"]) == "app闪退"


def test_candidates_are_shared_runs_and_never_chinese_fragments():
    docs = [["退款", "没", "到账"], ["退款", "没", "到账", "不"], ["退款", "没", "到账"], ["包裹"]]
    found = ph.candidates(docs, np.arange(4), cjk=True)
    assert found[0] == "退款没到账"
    assert not any(f.endswith("不") or f.startswith("没") for f in found)


def test_subjects_several_tickets_share_are_candidates():
    subjects = ["物流信息一直不更新", "物流信息一直不更新！", "其他", "order <order_no> late"]
    assert ph.subject_candidates(subjects, np.arange(4), cjk=True) == ["物流信息一直不更新"]
    assert ph.subject_candidates(subjects, np.arange(4), cjk=False) == []


def test_meaning_picks_the_phrase_nearest_the_tickets():
    def embed(texts: Sequence[str]) -> np.ndarray:
        table = {"a b": _unit(1, 0), "c d": _unit(0, 1), "a d": _unit(1, 1)}
        return np.vstack([table[t] for t in texts])

    assert ph.rank_by_meaning(["c d", "a d", "a b"], _unit(1, 0.1), embed)[0] == "a b"


# -- stored vectors and the queue ----------------------------------------------------


class FakeEmbedder:
    """A deterministic stand-in: the vector depends on the text only."""

    model_id = "fake-v1"
    dim = 8

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=8) for t in texts]
        out = np.vstack(rows).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_the_queue_embeds_each_text_once_and_resumes_from_its_mark(app):
    tickets = [ticket(f"t{i}", i, customer(i), subject=f"parcel {i % 7} late") for i in range(300)]
    app.tickets.ingest_bulk(iter(tickets))
    fake = FakeEmbedder()
    queue = EmbeddingQueue(app.engine, fake, batch=64)
    assert queue.run_once() == 64  # one batch, then the mark is committed
    with app.engine.connect() as conn:
        assert count_vectors(conn, fake.model_id) == 64
        mark = high_water(conn, fake.model_id)
    assert queue.drain() == 300 - 64 and queue.drain() == 0
    assert queue.progress().embedded == 300 and queue.progress().backlog == 0
    # A new state with the same opening text costs nothing; a new text is embedded.
    before = len(fake.seen)
    app.tickets.ingest(replace(tickets[0], csat=5))
    app.tickets.ingest(replace(tickets[1], subject="refund missing"))
    assert queue.drain() == 2 and len(fake.seen) == before + 1
    with app.engine.connect() as conn:
        assert high_water(conn, fake.model_id) > mark
        vectors = StoredVectors(app.engine, "default", fake.model_id, _pks(conn), fake.dim)
        rows = vectors[np.arange(len(vectors))]
    assert rows.dtype == np.float16 and np.all(np.abs(np.linalg.norm(rows, axis=1) - 1) < 1e-2)


def _pks(conn) -> np.ndarray:
    from sqlalchemy import select

    from ticketminer.store.schema import tickets

    return np.array(sorted(conn.execute(select(tickets.c.pk)).scalars()), dtype=np.int64)


def test_a_fit_reads_vectors_a_slice_at_a_time(app):
    app.tickets.ingest_bulk(iter(ticket(f"t{i}", i, subject=f"late {i}") for i in range(50)))
    fake = FakeEmbedder()
    EmbeddingQueue(app.engine, fake).drain()
    with app.engine.connect() as conn:
        pks = _pks(conn)
    stored = StoredVectors(app.engine, "default", fake.model_id, pks, fake.dim)
    assert stored.shape == (50, 8) and len(stored) == 50
    whole = stored[0:50]
    picked = stored[np.array([49, 3, 10])]
    assert np.array_equal(picked, whole[[49, 3, 10]])
    absent = StoredVectors(app.engine, "default", "another-model", pks, fake.dim)
    assert not absent[0:5].any()  # no vector of that model yet: zero rows


def test_a_slice_read_keeps_to_the_snapshot_and_the_tenant(app):
    """A slice is one range scan of the key: pks in the range that belong to another
    tenant, or that the snapshot left out, never land in its rows."""
    mixed = [ticket(f"t{i}", i, subject=f"late {i}", tenant_id="ab"[i % 2]) for i in range(60)]
    app.tickets.ingest_bulk(iter(mixed))
    fake = FakeEmbedder()
    EmbeddingQueue(app.engine, fake).drain()
    with app.engine.connect() as conn:
        from sqlalchemy import select

        from ticketminer.store.schema import tickets

        query = select(tickets.c.pk).where(tickets.c.tenant_id == "a").order_by(tickets.c.pk)
        pks = np.array(conn.execute(query).scalars().all(), dtype=np.int64)[::2]
    stored = StoredVectors(app.engine, "a", fake.model_id, pks, fake.dim)
    by_range, by_position = stored[2:12], stored[np.arange(2, 12)]
    assert by_range.any(axis=1).all()
    assert np.array_equal(by_range, by_position)


def test_a_recluster_embeds_a_tenants_few_missing_vectors_and_only_those(app):
    app.tickets.ingest_bulk(iter(ticket(f"a{i}", i, subject=f"late {i}") for i in range(30)))
    fake = FakeEmbedder()
    queue = EmbeddingQueue(app.engine, fake, batch=8)
    assert queue.embed_tenant("default", limit=10) == 0  # more than the limit: the queue's
    assert queue.embed_tenant("default", limit=30) == 30
    assert queue.embed_tenant("default", limit=30) == 0  # nothing left
    queue.drain()  # the queue passes the same tickets: same texts, nothing embedded again
    assert len(fake.seen) == 30
    # A new text after the mark is missing; a new state with the same text is not.
    app.tickets.ingest(ticket("a0", 0, subject="refund missing", updated_at=at(100)))
    app.tickets.ingest(ticket("a1", 1, subject="late 1", updated_at=at(100), csat=5))
    assert queue.embed_tenant("default", limit=30) == 1
    assert fake.seen[-1].startswith("refund missing")


def test_a_recluster_waits_for_another_replicas_queue_before_writing_vectors(app):
    """The queue of another replica and a re-cluster writing the same tickets' vectors
    at once collided on PostgreSQL (a duplicate key, and the re-cluster failed)."""
    app.tickets.ingest_bulk(iter(ticket(f"a{i}", i, subject=f"late {i}") for i in range(5)))
    fake = FakeEmbedder()
    queue = EmbeddingQueue(app.engine, fake, batch=8)
    done: list[int] = []
    with JobLocks(app.engine).hold("embedding", "", wait=False) as held:
        assert held  # what another replica's queue holds while it writes a batch
        worker = threading.Thread(target=lambda: done.append(queue.embed_tenant("default")))
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive() and not fake.seen  # waiting, nothing embedded
    worker.join(timeout=30)
    assert done == [5]
