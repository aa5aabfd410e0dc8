"""Deleting tickets: one by id, a customer's (GDPR erasure), or those older than the
tenant's retention window (a background loop), each with an audit entry.

A deletion commits the tickets' removal, their tombstones and the audit entry in one
transaction, then flushes the deleted rows out of the database files
(store.secure_erase). Caches see it through the tombstones (services.facts_cache);
`on_deleted` lets this replica drop what it holds that tombstones do not reach.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from ticketminer.domain.erasure import (
    ANONYMOUS_ACTOR,
    RETENTION_ACTOR,
    Action,
    AuditEntry,
    SubjectKind,
    subject_hash,
)
from ticketminer.domain.errors import FieldViolation, InvalidArgument, NotFound
from ticketminer.domain.tenant_settings import SettingsOf, no_settings
from ticketminer.domain.timeutil import to_us, utc_now
from ticketminer.services.tenant_locks import TenantJobs
from ticketminer.services.tenant_loop import TenantLoop
from ticketminer.store.audit_repo import record
from ticketminer.store.erasure_repo import (
    delete_tickets,
    ticket_of,
    tickets_created_before,
    tickets_of_customer,
)
from ticketminer.store.job_locks import JobLocks
from ticketminer.store.secure_erase import scrub

log = logging.getLogger(__name__)

RETENTION_BATCH = 1000  # tickets per transaction: short write locks

Found = Callable[[Connection], Sequence[tuple[int, str]]]


def _required(value: str, field: str) -> None:
    if not value:
        raise InvalidArgument([FieldViolation(field, "is required")])


class ErasureService:
    def __init__(
        self,
        engine: Engine,
        settings: SettingsOf = no_settings,
        on_deleted: Sequence[Callable[[str], object]] = (),
        clock: Callable[[], datetime] = utc_now,
        batch: int = RETENTION_BATCH,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._on_deleted = on_deleted
        self._clock = clock
        self._batch = batch
        self._jobs = TenantJobs("retention", JobLocks(engine))

    def delete_ticket(self, tenant_id: str, external_id: str, actor: str = "") -> int:
        """Delete the ticket; NotFound when there is none."""
        _required(external_id, "external_id")
        deleted = self._delete(
            tenant_id,
            lambda conn: ticket_of(conn, tenant_id, external_id),
            Action.DELETE_TICKET,
            SubjectKind.TICKET,
            external_id,
            actor,
        )
        if not deleted:
            raise NotFound(
                f"ticket {external_id!r} not found in tenant {tenant_id!r}",
                "ticket",
                external_id,
            )
        return deleted

    def delete_customer(self, tenant_id: str, customer_id: str, actor: str = "") -> int:
        """Delete every ticket of the customer; how many there were."""
        _required(customer_id, "customer_id")
        return self._delete(
            tenant_id,
            lambda conn: tickets_of_customer(conn, tenant_id, customer_id),
            Action.DELETE_CUSTOMER,
            SubjectKind.CUSTOMER,
            customer_id,
            actor,
        )

    def _delete(
        self,
        tenant_id: str,
        find: Found,
        action: Action,
        kind: SubjectKind,
        subject: str,
        actor: str,
    ) -> int:
        with self._engine.begin() as conn:
            deleted = delete_tickets(conn, tenant_id, find(conn))
            if deleted:
                entry = AuditEntry(
                    tenant_id,
                    action,
                    kind,
                    subject_hash(tenant_id, subject),
                    deleted,
                    actor or ANONYMOUS_ACTOR,
                    self._clock(),
                )
                record(conn, entry)
        if deleted:
            self._after(tenant_id)
        return deleted

    def _after(self, tenant_id: str) -> None:
        scrub(self._engine)
        for forget in self._on_deleted:
            forget(tenant_id)

    # -- retention -----------------------------------------------------------------

    def retention_due(self, tenant_id: str) -> bool:
        return self._settings(tenant_id).retention_days > 0

    def apply_retention(self, tenant_id: str) -> int | None:
        """Delete the tenant's tickets created before now - its retention window, a
        batch per transaction; None when another replica is on it."""
        days = self._settings(tenant_id).retention_days
        if not days:
            return 0
        with self._jobs.run(tenant_id, wait=False) as mine:
            if not mine:
                return None
            cutoff = to_us(self._clock() - timedelta(days=days))
            total = 0
            while True:
                with self._engine.begin() as conn:
                    found = tickets_created_before(conn, tenant_id, cutoff, self._batch)
                    deleted = delete_tickets(conn, tenant_id, found)
                    total += deleted
                    if deleted:
                        record(
                            conn,
                            AuditEntry(
                                tenant_id,
                                Action.RETENTION,
                                SubjectKind.RETENTION_DAYS,
                                subject_hash(tenant_id, str(days)),
                                deleted,
                                RETENTION_ACTOR,
                                self._clock(),
                            ),
                        )
                if len(found) < self._batch:
                    break
            if total:
                self._after(tenant_id)
                log.info("retention deleted %d tickets of tenant %s", total, tenant_id)
            return total


class RetentionLoop(TenantLoop):
    """Applies each tenant's retention window on a period (tenants with a window only)."""

    def __init__(
        self, erasure: ErasureService, tenants: Callable[[], Iterable[str]], seconds: float
    ) -> None:
        super().__init__(
            "retention", tenants, erasure.retention_due, erasure.apply_retention, seconds
        )
