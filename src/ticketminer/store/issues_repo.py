"""Repository functions for issue models, issues and their lineage. Each takes an open
connection so the caller decides the transaction; none of them commits."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, delete, func, insert, select

from ticketminer.domain.issues import IssueRecord, IssueStatus, LineageEvent, LineageKind
from ticketminer.domain.timeutil import from_us, to_us
from ticketminer.store.bulk_sql import execute_many
from ticketminer.store.schema import issue_lineage, issue_models, issues, tickets

_INSERT_ISSUES = insert(issues)
_INSERT_LINEAGE = insert(issue_lineage)


@dataclass(frozen=True, slots=True)
class StoredModel:
    version: int
    created_us: int
    n_tickets: int
    n_issues: int
    unclustered: int
    params: dict
    state: dict[str, np.ndarray]


def pack_state(state: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    return buffer.getvalue()


def unpack_state(blob: bytes) -> dict[str, np.ndarray]:
    # allow_pickle=False: a database row must never be able to run code.
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def latest_model_version(conn: Connection, tenant_id: str) -> int:
    return int(
        conn.execute(
            select(func.coalesce(func.max(issue_models.c.version), 0)).where(
                issue_models.c.tenant_id == tenant_id
            )
        ).scalar_one()
    )


def load_model(conn: Connection, tenant_id: str, version: int) -> StoredModel | None:
    row = conn.execute(
        select(issue_models).where(
            issue_models.c.tenant_id == tenant_id, issue_models.c.version == version
        )
    ).first()
    if row is None:
        return None
    return StoredModel(
        row.version,
        row.created_us,
        row.n_tickets,
        row.n_issues,
        row.unclustered,
        json.loads(row.params_json),
        unpack_state(row.state),
    )


def save_model(conn: Connection, tenant_id: str, model: StoredModel) -> None:
    conn.execute(
        insert(issue_models).values(
            tenant_id=tenant_id,
            version=model.version,
            created_us=model.created_us,
            n_tickets=model.n_tickets,
            n_issues=model.n_issues,
            unclustered=model.unclustered,
            params_json=json.dumps(model.params, sort_keys=True),
            state=pack_state(model.state),
        )
    )
    # Only the newest model assigns tickets; older ones are kept two deep for audit.
    conn.execute(
        delete(issue_models).where(
            issue_models.c.tenant_id == tenant_id, issue_models.c.version < model.version - 1
        )
    )


def _record(row) -> IssueRecord:
    return IssueRecord(
        issue_id=row.issue_id,
        status=IssueStatus(row.status),
        label=row.label,
        terms=tuple(json.loads(row.terms_json)),
        languages=tuple(x for x in row.languages.split(",") if x),
        size=row.size,
        representative_pk=row.representative_pk,
        cluster_index=row.cluster_index,
        born_model_version=row.born_model_version,
        model_version=row.model_version,
        born_at=from_us(row.born_us),
        updated_at=from_us(row.updated_us),
        merged_into=row.merged_into,
        parent_id=row.parent_id,
    )


def issue_records(conn: Connection, tenant_id: str) -> list[IssueRecord]:
    rows = conn.execute(
        select(issues).where(issues.c.tenant_id == tenant_id).order_by(issues.c.issue_id)
    )
    return [_record(row) for row in rows]


def replace_issue_records(conn: Connection, tenant_id: str, records: Sequence[IssueRecord]) -> None:
    """Store the full set of the tenant's issues (active and inactive)."""
    conn.execute(delete(issues).where(issues.c.tenant_id == tenant_id))
    execute_many(
        conn,
        _INSERT_ISSUES,
        [
            {
                "tenant_id": tenant_id,
                "issue_id": r.issue_id,
                "status": r.status.value,
                "label": r.label,
                "terms_json": json.dumps(list(r.terms), ensure_ascii=False),
                "languages": ",".join(r.languages),
                "representative_pk": r.representative_pk,
                "size": r.size,
                "cluster_index": r.cluster_index,
                "merged_into": r.merged_into,
                "born_model_version": r.born_model_version,
                "model_version": r.model_version,
                "born_us": to_us(r.born_at),
                "updated_us": to_us(r.updated_at),
                "parent_id": r.parent_id,
            }
            for r in records
        ],
    )


def add_lineage(conn: Connection, tenant_id: str, events: Sequence[LineageEvent]) -> None:
    execute_many(
        conn,
        _INSERT_LINEAGE,
        [
            {
                "tenant_id": tenant_id,
                "model_version": e.model_version,
                "at_us": to_us(e.at),
                "kind": e.kind.value,
                "issue_id": e.issue_id,
                "related_issue_id": e.related_issue_id,
                "tickets": e.tickets,
            }
            for e in events
        ],
    )


def _lineage(rows) -> list[LineageEvent]:
    return [
        LineageEvent(
            LineageKind(row.kind),
            row.issue_id,
            row.model_version,
            from_us(row.at_us),
            row.tickets,
            row.related_issue_id,
        )
        for row in rows
    ]


def lineage_of(conn: Connection, tenant_id: str, issue_id: int) -> list[LineageEvent]:
    """Events that name the issue on either side, oldest first."""
    query = (
        select(issue_lineage)
        .where(
            issue_lineage.c.tenant_id == tenant_id,
            (issue_lineage.c.issue_id == issue_id) | (issue_lineage.c.related_issue_id == issue_id),
        )
        .order_by(issue_lineage.c.id)
    )
    return _lineage(conn.execute(query))


def lineage_between(
    conn: Connection, tenant_id: str, start_us: int, end_us: int
) -> list[LineageEvent]:
    """The tenant's events with start_us <= at < end_us, oldest first."""
    query = (
        select(issue_lineage)
        .where(
            issue_lineage.c.tenant_id == tenant_id,
            issue_lineage.c.at_us >= start_us,
            issue_lineage.c.at_us < end_us,
        )
        .order_by(issue_lineage.c.id)
    )
    return _lineage(conn.execute(query))


def external_ids(conn: Connection, pks: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(pks), 500):
        chunk = [int(p) for p in pks[start : start + 500]]
        query = select(tickets.c.pk, tickets.c.external_id).where(tickets.c.pk.in_(chunk))
        found.update((pk, ext) for pk, ext in conn.execute(query))
    return found


def ticket_texts(conn: Connection, pks: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    """(external id, subject, description) by pk, for representative snippets."""
    found: dict[int, tuple[str, str, str]] = {}
    for start in range(0, len(pks), 500):
        chunk = [int(p) for p in pks[start : start + 500]]
        query = select(
            tickets.c.pk, tickets.c.external_id, tickets.c.subject, tickets.c.description
        ).where(tickets.c.pk.in_(chunk))
        found.update((row[0], (row[1], row[2], row[3])) for row in conn.execute(query))
    return found
