"""The audit log of deletions (no content: see domain.erasure)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from ticketminer.domain.erasure import Action, AuditEntry, SubjectKind
from ticketminer.domain.timeutil import from_us, to_us
from ticketminer.store.schema import audit_log


def record(conn: Connection, entry: AuditEntry) -> None:
    conn.execute(
        insert(audit_log).values(
            tenant_id=entry.tenant_id,
            action=str(entry.action),
            subject_kind=str(entry.subject_kind),
            subject_hash=entry.subject_hash,
            count=entry.count,
            actor=entry.actor,
            at_us=to_us(entry.at),
        )
    )


def entries(conn: Connection, tenant_id: str) -> list[AuditEntry]:
    """The tenant's audit entries, oldest first."""
    query = (
        select(audit_log)
        .where(audit_log.c.tenant_id == tenant_id)
        .order_by(audit_log.c.at_us, audit_log.c.id)
    )
    return [
        AuditEntry(
            row.tenant_id,
            Action(row.action),
            SubjectKind(row.subject_kind),
            row.subject_hash,
            row.count,
            row.actor,
            from_us(row.at_us),
        )
        for row in conn.execute(query)
    ]
