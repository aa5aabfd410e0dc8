"""Repository functions for anomalies and scan bookkeeping. Each takes an open
connection so the caller decides the transaction; none of them commits."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from ticketminer.domain.anomalies import (
    Anomaly,
    AnomalyKind,
    AnomalyPoint,
    AnomalyQuery,
    AnomalyStatus,
    RootCauseCandidate,
    Severity,
    TermLift,
)
from ticketminer.domain.timeutil import from_us, to_us
from ticketminer.store.schema import anomalies, anomaly_issues, anomaly_scans


def _opt_us(value: datetime | None) -> int | None:
    return None if value is None else to_us(value)


def _payload(a: Anomaly) -> str:
    return json.dumps(
        {
            "root_causes": [
                {
                    "dims": [list(d) for d in rc.dims],
                    "observed": rc.observed,
                    "expected": rc.expected,
                    "explained_share": rc.explained_share,
                    "lift": rc.lift,
                    "support": rc.support,
                    "pvalue": rc.pvalue,
                    "score": rc.score,
                    "evidence": list(rc.evidence_ticket_ids),
                }
                for rc in a.root_causes
            ],
            "terms": [[t.term, t.anomaly_tickets, t.baseline_tickets, t.lift] for t in a.terms],
            "evidence": list(a.evidence_ticket_ids),
            "summary": a.summary,
            "issue_ids": list(a.issue_ids),
            "series": [[to_us(p.start), p.observed, p.expected, p.n] for p in a.series],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _values(a: Anomaly) -> dict[str, Any]:
    return {
        "tenant_id": a.tenant_id,
        "kind": int(a.kind),
        "metric": a.metric,
        "issue_id": a.issue_id,
        "status": int(a.status),
        "severity": int(a.severity),
        "start_us": to_us(a.start),
        "detected_us": to_us(a.detected_at),
        "end_us": _opt_us(a.end),
        "updated_us": to_us(a.updated_at),
        "observed": a.observed,
        "expected": a.expected,
        "pvalue": a.pvalue,
        "score": a.score,
        "tickets": a.tickets,
        "payload": _payload(a),
    }


def _from_row(row: Any) -> Anomaly:
    p = json.loads(row.payload)
    return Anomaly(
        anomaly_id=row.id,
        tenant_id=row.tenant_id,
        kind=AnomalyKind(row.kind),
        metric=row.metric,
        issue_id=row.issue_id,
        status=AnomalyStatus(row.status),
        severity=Severity(row.severity),
        start=from_us(row.start_us),
        detected_at=from_us(row.detected_us),
        end=None if row.end_us is None else from_us(row.end_us),
        updated_at=from_us(row.updated_us),
        observed=row.observed,
        expected=row.expected,
        pvalue=row.pvalue,
        score=row.score,
        tickets=row.tickets,
        root_causes=tuple(
            RootCauseCandidate(
                dims=tuple((k, v) for k, v in rc["dims"]),
                observed=rc["observed"],
                expected=rc["expected"],
                explained_share=rc["explained_share"],
                lift=rc["lift"],
                support=rc["support"],
                pvalue=rc["pvalue"],
                score=rc["score"],
                evidence_ticket_ids=tuple(rc["evidence"]),
            )
            for rc in p["root_causes"]
        ),
        terms=tuple(TermLift(t, int(a), int(b), float(lift)) for t, a, b, lift in p["terms"]),
        evidence_ticket_ids=tuple(p["evidence"]),
        summary=p["summary"],
        issue_ids=tuple(p["issue_ids"]),
        series=tuple(AnomalyPoint(from_us(s), o, e, int(n)) for s, o, e, n in p["series"]),
    )


def insert_anomaly(conn: Connection, anomaly: Anomaly) -> int:
    result = conn.execute(insert(anomalies).values(**_values(anomaly)))
    anomaly_id = int(result.inserted_primary_key[0])
    _write_spans(conn, anomaly_id, anomaly)
    return anomaly_id


def update_anomaly(conn: Connection, anomaly: Anomaly) -> None:
    conn.execute(
        update(anomalies).where(anomalies.c.id == anomaly.anomaly_id).values(**_values(anomaly))
    )
    conn.execute(delete(anomaly_issues).where(anomaly_issues.c.anomaly_id == anomaly.anomaly_id))
    _write_spans(conn, anomaly.anomaly_id, anomaly)


def _write_spans(conn: Connection, anomaly_id: int, anomaly: Anomaly) -> None:
    """The issues the anomaly spans besides its own, for `issue_ids` filters."""
    spanned = sorted(set(anomaly.issue_ids) - {anomaly.issue_id})
    if spanned:
        conn.execute(
            insert(anomaly_issues),
            [{"anomaly_id": anomaly_id, "issue_id": i} for i in spanned],
        )


def recent_anomalies(conn: Connection, tenant_id: str, since_us: int) -> list[Anomaly]:
    """Anomalies a scan may continue: active ones, and those that ended since a time."""
    query = select(anomalies).where(
        anomalies.c.tenant_id == tenant_id,
        or_(anomalies.c.end_us.is_(None), anomalies.c.end_us >= since_us),
    )
    return [_from_row(r) for r in conn.execute(query)]


def active_anomalies(conn: Connection, tenant_id: str) -> list[Anomaly]:
    query = select(anomalies).where(
        anomalies.c.tenant_id == tenant_id,
        anomalies.c.status.in_([int(AnomalyStatus.OPEN), int(AnomalyStatus.ONGOING)]),
    )
    return [_from_row(r) for r in conn.execute(query)]


def get_anomaly(conn: Connection, tenant_id: str, anomaly_id: int) -> Anomaly | None:
    query = select(anomalies).where(
        anomalies.c.tenant_id == tenant_id, anomalies.c.id == anomaly_id
    )
    row = conn.execute(query).first()
    return None if row is None else _from_row(row)


def _conditions(q: AnomalyQuery) -> list:
    c = anomalies.c
    conds = [c.tenant_id == q.tenant_id]
    if q.start is not None:
        conds.append(or_(c.end_us.is_(None), c.end_us > to_us(q.start)))
    if q.end is not None:
        conds.append(c.start_us < to_us(q.end))
    if q.kinds:
        conds.append(c.kind.in_([int(k) for k in q.kinds]))
    if q.statuses:
        conds.append(c.status.in_([int(s) for s in q.statuses]))
    if q.min_severity:
        conds.append(c.severity >= int(q.min_severity))
    if q.issue_ids:
        ids = [i for i in q.issue_ids if i is not None]
        spanning = select(anomaly_issues.c.anomaly_id).where(anomaly_issues.c.issue_id.in_(ids))
        either = [c.issue_id.in_(ids), c.id.in_(spanning)] if ids else []
        if None in q.issue_ids:
            either.append(c.issue_id.is_(None))
        conds.append(or_(*either))
    return conds


def query_anomalies(conn: Connection, q: AnomalyQuery) -> tuple[list[Anomaly], int]:
    """One page, newest start first (id breaks ties), and the total that match."""
    where = and_(*_conditions(q))
    total = conn.execute(select(func.count()).select_from(anomalies).where(where)).scalar_one()
    query = (
        select(anomalies)
        .where(where)
        .order_by(anomalies.c.start_us.desc(), anomalies.c.id.desc())
        .offset(q.offset)
        .limit(q.page_size)
    )
    return [_from_row(r) for r in conn.execute(query)], int(total)


def mark_scanned(conn: Connection, tenant_id: str, scanned_us: int, ticket_version: int) -> None:
    values = {"scanned_us": scanned_us, "ticket_version": ticket_version}
    done = conn.execute(
        update(anomaly_scans).where(anomaly_scans.c.tenant_id == tenant_id).values(**values)
    )
    if done.rowcount == 0:
        conn.execute(insert(anomaly_scans).values(tenant_id=tenant_id, **values))


def last_scan(conn: Connection, tenant_id: str) -> tuple[datetime, int] | None:
    query = select(anomaly_scans.c.scanned_us, anomaly_scans.c.ticket_version).where(
        anomaly_scans.c.tenant_id == tenant_id
    )
    row = conn.execute(query).first()
    return None if row is None else (from_us(row.scanned_us), int(row.ticket_version))
