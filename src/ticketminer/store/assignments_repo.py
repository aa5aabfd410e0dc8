"""Repository functions for ticket tokens and ticket-to-issue assignments. Each takes
an open connection so the caller decides the transaction; none of them commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from ticketminer.domain.issues import IssueAssignment
from ticketminer.domain.timeutil import from_us
from ticketminer.store.bulk_sql import execute_many
from ticketminer.store.schema import ticket_issue_history, ticket_issues, ticket_tokens, tickets

_IN_CHUNK = 500

_INSERT_TOKENS = insert(ticket_tokens)
_INSERT_ASSIGNMENT = insert(ticket_issues)
_INSERT_HISTORY = insert(ticket_issue_history)
_UPDATE_ASSIGNMENT = (
    update(ticket_issues)
    .where(ticket_issues.c.ticket_pk == bindparam("b_pk"))
    .values(
        issue_id=bindparam("b_issue_id"),
        confidence=bindparam("b_confidence"),
        model_version=bindparam("b_model_version"),
        assigned_us=bindparam("b_assigned_us"),
        version=bindparam("b_version"),
        sub_issue_id=bindparam("b_sub_issue_id"),
    )
)
# Same issue, another variant: no history row (the history is of issues).
_UPDATE_SUB_ISSUE = (
    update(ticket_issues)
    .where(ticket_issues.c.ticket_pk == bindparam("b_pk"))
    .values(sub_issue_id=bindparam("b_sub_issue_id"), version=bindparam("b_version"))
)


@dataclass(frozen=True, slots=True)
class NewAssignment:
    ticket_pk: int
    issue_id: int
    confidence: float
    model_version: int
    sub_issue_id: int = 0


def write_tokens(
    conn: Connection,
    tenant_id: str,
    rows: Sequence[tuple[int, str]],
    replaced: Sequence[int] = (),
) -> None:
    """Store (ticket pk, space-joined tokens); `replaced` are the pks of updated
    tickets, whose earlier tokens go first (new tickets have none to delete)."""
    for start in range(0, len(replaced), _IN_CHUNK):
        conn.execute(
            delete(ticket_tokens).where(
                ticket_tokens.c.ticket_pk.in_(list(replaced[start : start + _IN_CHUNK]))
            )
        )
    execute_many(
        conn,
        _INSERT_TOKENS,
        [{"ticket_pk": pk, "tenant_id": tenant_id, "tokens": text} for pk, text in rows],
    )


def _current(conn: Connection, pks: Sequence[int]) -> dict[int, tuple]:
    found: dict[int, tuple] = {}
    cols = (
        ticket_issues.c.ticket_pk,
        ticket_issues.c.issue_id,
        ticket_issues.c.confidence,
        ticket_issues.c.model_version,
        ticket_issues.c.assigned_us,
        ticket_issues.c.sub_issue_id,
    )
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = list(pks[start : start + _IN_CHUNK])
        for row in conn.execute(select(*cols).where(ticket_issues.c.ticket_pk.in_(chunk))):
            found[row[0]] = tuple(row)
    return found


def write_assignments(
    conn: Connection,
    tenant_id: str,
    assignments: Sequence[NewAssignment],
    first_version: int,
    now_us: int,
) -> int:
    """Upsert assignments; one whose issue changes moves the old one to the history.
    Versions first_version, first_version+1, ... are used in order; returns how many
    rows changed (an unchanged issue and sub-issue is left alone and uses no version)."""
    if not assignments:
        return 0
    current = _current(conn, [a.ticket_pk for a in assignments])
    inserts: list[dict] = []
    updates: list[dict] = []
    sub_updates: list[dict] = []
    history: list[dict] = []
    version = first_version
    for a in assignments:
        old = current.get(a.ticket_pk)
        if old is not None and old[1] == a.issue_id:
            if old[5] != a.sub_issue_id:
                sub_updates.append(
                    {"b_pk": a.ticket_pk, "b_sub_issue_id": a.sub_issue_id, "b_version": version}
                )
                version += 1
            continue
        fields = {
            "issue_id": a.issue_id,
            "confidence": float(a.confidence),
            "model_version": a.model_version,
            "assigned_us": now_us,
            "version": version,
            "sub_issue_id": a.sub_issue_id,
        }
        version += 1
        if old is None:
            inserts.append({"ticket_pk": a.ticket_pk, "tenant_id": tenant_id, **fields})
            continue
        updates.append({"b_pk": a.ticket_pk, **{f"b_{k}": v for k, v in fields.items()}})
        history.append(
            {
                "ticket_pk": a.ticket_pk,
                "issue_id": old[1],
                "confidence": old[2],
                "model_version": old[3],
                "assigned_us": old[4],
                "replaced_us": now_us,
            }
        )
    execute_many(conn, _INSERT_ASSIGNMENT, inserts)
    execute_many(conn, _UPDATE_ASSIGNMENT, updates)
    execute_many(conn, _UPDATE_SUB_ISSUE, sub_updates)
    execute_many(conn, _INSERT_HISTORY, history)
    return version - first_version


def insert_assignments(
    conn: Connection,
    tenant_id: str,
    pks: np.ndarray,
    issue_ids: np.ndarray,
    confidence: np.ndarray,
    model_version: int,
    first_version: int,
    now_us: int,
    sub_issue_ids: np.ndarray | None = None,
) -> None:
    """Bulk insert for tickets that have no assignment yet (a tenant's first fit
    assigns every ticket at once; nothing moves to the history)."""
    subs = np.zeros(len(pks), dtype=np.int64) if sub_issue_ids is None else sub_issue_ids
    rows = [
        {
            "ticket_pk": pk,
            "tenant_id": tenant_id,
            "issue_id": issue,
            "confidence": conf,
            "model_version": model_version,
            "assigned_us": now_us,
            "version": first_version + i,
            "sub_issue_id": sub,
        }
        for i, (pk, issue, conf, sub) in enumerate(
            zip(pks.tolist(), issue_ids.tolist(), confidence.tolist(), subs.tolist(), strict=True)
        )
    ]
    execute_many(conn, _INSERT_ASSIGNMENT, rows)


def load_tokens(conn: Connection, tenant_id: str) -> tuple[np.ndarray, list[str]]:
    """(ticket pks, space-joined tokens) of every ticket of the tenant, by pk."""
    query = (
        select(ticket_tokens.c.ticket_pk, ticket_tokens.c.tokens)
        .where(ticket_tokens.c.tenant_id == tenant_id)
        .order_by(ticket_tokens.c.ticket_pk)
    )
    return _token_rows(conn, query)


def _token_rows(conn: Connection, query) -> tuple[np.ndarray, list[str]]:
    # Raw driver tuples: a million SQLAlchemy Row objects would cost seconds.
    result = conn.execute(query)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    if not rows:
        return np.zeros(0, dtype=np.int64), []
    pks, texts = zip(*rows, strict=True)
    return np.array(pks, dtype=np.int64), list(texts)


def tokens_of(conn: Connection, pks: Sequence[int]) -> dict[int, str]:
    """Space-joined tokens of the given tickets (those that have any)."""
    out: dict[int, str] = {}
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = [int(p) for p in pks[start : start + _IN_CHUNK]]
        query = select(ticket_tokens.c.ticket_pk, ticket_tokens.c.tokens).where(
            ticket_tokens.c.ticket_pk.in_(chunk)
        )
        out.update((pk, tokens) for pk, tokens in conn.execute(query))
    return out


def tokens_created_between(
    conn: Connection, tenant_id: str, start_us: int, end_us: int
) -> dict[int, str]:
    """Space-joined tokens of the tenant's tickets created in [start, end), by pk: one
    range query on the creation index instead of thousands of primary keys."""
    query = (
        select(ticket_tokens.c.ticket_pk, ticket_tokens.c.tokens)
        .join(tickets, tickets.c.pk == ticket_tokens.c.ticket_pk)
        .where(
            tickets.c.tenant_id == tenant_id,
            tickets.c.created_us >= start_us,
            tickets.c.created_us < end_us,
        )
    )
    pks, texts = _token_rows(conn, query)
    return dict(zip(pks.tolist(), texts, strict=True))


def load_tokens_after(
    conn: Connection, tenant_id: str, after_version: int
) -> tuple[np.ndarray, list[str]]:
    """Tokens of the tickets written after a change number (they missed a fit)."""
    query = (
        select(ticket_tokens.c.ticket_pk, ticket_tokens.c.tokens)
        .join(tickets, tickets.c.pk == ticket_tokens.c.ticket_pk)
        .where(tickets.c.tenant_id == tenant_id, tickets.c.version > after_version)
        .order_by(ticket_tokens.c.ticket_pk)
    )
    return _token_rows(conn, query)


def load_assignment_changes(
    conn: Connection, tenant_id: str, after_version: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """(ticket pks, issue ids, highest version) of assignments changed after a version."""
    query = select(
        ticket_issues.c.ticket_pk, ticket_issues.c.issue_id, ticket_issues.c.version
    ).where(ticket_issues.c.tenant_id == tenant_id, ticket_issues.c.version > after_version)
    result = conn.execute(query)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), after_version
    pks, issue_ids, versions = zip(*rows, strict=True)
    return (
        np.array(pks, dtype=np.int64),
        np.array(issue_ids, dtype=np.int32),
        max(after_version, max(versions)),
    )


def load_sub_issues(conn: Connection, tenant_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(ticket pks, sub-issue ids) of the tenant's assigned tickets (0: none)."""
    query = select(ticket_issues.c.ticket_pk, ticket_issues.c.sub_issue_id).where(
        ticket_issues.c.tenant_id == tenant_id
    )
    result = conn.execute(query)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pks, subs = zip(*rows, strict=True)
    return np.array(pks, dtype=np.int64), np.array(subs, dtype=np.int64)


def assignment_history(
    conn: Connection, ticket_pk: int, labels: dict[int, str]
) -> list[IssueAssignment]:
    """Every issue the ticket had, oldest first, ending with the current one."""
    past = conn.execute(
        select(
            ticket_issue_history.c.issue_id,
            ticket_issue_history.c.confidence,
            ticket_issue_history.c.model_version,
            ticket_issue_history.c.assigned_us,
        )
        .where(ticket_issue_history.c.ticket_pk == ticket_pk)
        .order_by(ticket_issue_history.c.id)
    ).fetchall()
    now = conn.execute(
        select(
            ticket_issues.c.issue_id,
            ticket_issues.c.confidence,
            ticket_issues.c.model_version,
            ticket_issues.c.assigned_us,
        ).where(ticket_issues.c.ticket_pk == ticket_pk)
    ).fetchall()
    return [
        IssueAssignment(issue, labels.get(issue, ""), conf, model, from_us(at))
        for issue, conf, model, at in [*past, *now]
    ]


def current_assignments(
    conn: Connection, pks: Sequence[int]
) -> dict[int, tuple[int, float, int, int]]:
    """(issue id, confidence, model version, sub-issue id) by ticket pk, for the pks
    that have one."""
    return {pk: (row[1], row[2], row[3], row[5]) for pk, row in _current(conn, pks).items()}
