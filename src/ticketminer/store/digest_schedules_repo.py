"""Repository functions for digest schedules and their deliveries (no commits here).

Every state change of a delivery is a compare-and-set on what the caller saw
(status, attempts, next attempt), so two replicas that read the same row cannot both
act on it: the one whose UPDATE matched a row owns that step. A week's row itself is
created once: the unique key (tenant, schedule, week) refuses a second INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Connection, and_, delete, insert, or_, select, update
from sqlalchemy.engine import Row

from ticketminer.domain.digest_delivery import (
    Channel,
    DeliveryStatus,
    DigestDelivery,
    DigestSchedule,
)
from ticketminer.domain.timeutil import from_us, from_us_or_none, to_us_or_none
from ticketminer.store.schema import digest_deliveries, digest_schedules

_S, _D = digest_schedules.c, digest_deliveries.c


def _schedule(row: Row) -> DigestSchedule:
    return DigestSchedule.from_document(
        row.tenant_id,
        row.schedule_id,
        json.loads(row.document),
        row.secret or "",
        from_us_or_none(row.next_run_us),
        from_us(row.updated_us),
    )


def save_schedule(conn: Connection, s: DigestSchedule, updated_us: int) -> None:
    """Insert or replace the schedule (its secret and next run included)."""
    values = {
        "document": json.dumps(s.document(), sort_keys=True),
        "secret": s.secret or None,
        "next_run_us": to_us_or_none(s.next_run_at),
        "updated_us": updated_us,
    }
    key = and_(_S.tenant_id == s.tenant_id, _S.schedule_id == s.schedule_id)
    if conn.execute(update(digest_schedules).where(key).values(**values)).rowcount == 0:
        conn.execute(
            insert(digest_schedules).values(
                tenant_id=s.tenant_id, schedule_id=s.schedule_id, **values
            )
        )


def load_schedule(conn: Connection, tenant_id: str, schedule_id: str) -> DigestSchedule | None:
    row = conn.execute(
        select(digest_schedules).where(_S.tenant_id == tenant_id, _S.schedule_id == schedule_id)
    ).first()
    return None if row is None else _schedule(row)


def list_schedules(conn: Connection, tenant_id: str) -> list[DigestSchedule]:
    rows = conn.execute(
        select(digest_schedules).where(_S.tenant_id == tenant_id).order_by(_S.schedule_id)
    )
    return [_schedule(r) for r in rows]


def delete_schedule(conn: Connection, tenant_id: str, schedule_id: str) -> bool:
    done = conn.execute(
        delete(digest_schedules).where(_S.tenant_id == tenant_id, _S.schedule_id == schedule_id)
    )
    return done.rowcount > 0


def due_schedules(conn: Connection, tenant_id: str, now_us: int) -> list[DigestSchedule]:
    """The tenant's schedules whose next run has come (paused ones have none)."""
    rows = conn.execute(
        select(digest_schedules)
        .where(_S.tenant_id == tenant_id, _S.next_run_us <= now_us)
        .order_by(_S.schedule_id)
    )
    return [_schedule(r) for r in rows]


def advance_schedule(
    conn: Connection, tenant_id: str, schedule_id: str, seen_us: int, next_us: int
) -> bool:
    """Set next_run to `next_us`, if nobody moved it since we read `seen_us`."""
    done = conn.execute(
        update(digest_schedules)
        .where(
            _S.tenant_id == tenant_id,
            _S.schedule_id == schedule_id,
            _S.next_run_us == seen_us,
        )
        .values(next_run_us=next_us)
    )
    return done.rowcount > 0


def tenants_with_work(conn: Connection, now_us: int) -> list[str]:
    """Tenants with a schedule due or a delivery waiting for an attempt."""
    due = select(_S.tenant_id).where(_S.next_run_us <= now_us)
    waiting = select(_D.tenant_id).where(
        _D.status == int(DeliveryStatus.PENDING), _D.next_attempt_us <= now_us
    )
    rows = conn.execute(due.union(waiting))
    return sorted(r[0] for r in rows)


def insert_delivery(conn: Connection, d: DigestDelivery) -> None:
    """Raises IntegrityError when the week's row exists (another replica, or an
    earlier run, made it): run it in a transaction of its own."""
    conn.execute(
        insert(digest_deliveries).values(
            tenant_id=d.tenant_id,
            schedule_id=d.schedule_id,
            iso_week=d.iso_week,
            channel=int(d.channel),
            status=int(d.status),
            attempts=d.attempts,
            last_error=d.last_error,
            due_us=to_us_or_none(d.due_at),
            sent_us=to_us_or_none(d.sent_at),
            next_attempt_us=to_us_or_none(d.next_attempt_at),
        )
    )


def _delivery(row: Row) -> DigestDelivery:
    return DigestDelivery(
        row.tenant_id,
        row.schedule_id,
        row.iso_week,
        Channel(row.channel),
        DeliveryStatus(row.status),
        int(row.attempts),
        row.last_error,
        from_us(row.due_us),
        from_us_or_none(row.sent_us),
        from_us_or_none(row.next_attempt_us),
        int(row.id),
    )


def waiting_deliveries(conn: Connection, tenant_id: str, now_us: int) -> list[DigestDelivery]:
    """The tenant's PENDING deliveries whose next attempt has come, oldest first."""
    rows = conn.execute(
        select(digest_deliveries)
        .where(
            _D.tenant_id == tenant_id,
            _D.status == int(DeliveryStatus.PENDING),
            _D.next_attempt_us <= now_us,
        )
        .order_by(_D.due_us, _D.id)
    )
    return [_delivery(r) for r in rows]


def claim_attempt(
    conn: Connection, d: DigestDelivery, channel: Channel, lease_until_us: int
) -> bool:
    """Count one more attempt and hide the row until `lease_until_us`, if it is still
    as `d` saw it; True = this caller owns the attempt."""
    done = conn.execute(
        update(digest_deliveries)
        .where(
            _D.id == d.delivery_id,
            _D.status == int(DeliveryStatus.PENDING),
            _D.attempts == d.attempts,
            _D.next_attempt_us == to_us_or_none(d.next_attempt_at),
        )
        .values(attempts=d.attempts + 1, next_attempt_us=lease_until_us, channel=int(channel))
    )
    return done.rowcount > 0


def finish_attempt(
    conn: Connection,
    delivery_id: int,
    attempt: int,
    status: DeliveryStatus,
    *,
    error: str | None = None,
    sent_us: int | None = None,
    next_attempt_us: int | None = None,
) -> bool:
    """Record the outcome of attempt number `attempt` (the caller's claim); `error`
    None keeps the last failure on record (a send that worked on a retry)."""
    values: dict = {"status": int(status), "sent_us": sent_us, "next_attempt_us": next_attempt_us}
    if error is not None:
        values["last_error"] = error
    done = conn.execute(
        update(digest_deliveries)
        .where(
            _D.id == delivery_id,
            _D.attempts == attempt,
            _D.status == int(DeliveryStatus.PENDING),
        )
        .values(**values)
    )
    return done.rowcount > 0


def list_deliveries(
    conn: Connection,
    tenant_id: str,
    schedule_id: str,
    after: tuple[int, int] | None,
    limit: int,
) -> Sequence[DigestDelivery]:
    """Newest due first; `after` = (due_us, id) of the previous page's last row."""
    query = select(digest_deliveries).where(_D.tenant_id == tenant_id)
    if schedule_id:
        query = query.where(_D.schedule_id == schedule_id)
    if after is not None:
        due, last_id = after
        query = query.where(or_(_D.due_us < due, and_(_D.due_us == due, _D.id < last_id)))
    rows = conn.execute(query.order_by(_D.due_us.desc(), _D.id.desc()).limit(limit))
    return [_delivery(r) for r in rows]
