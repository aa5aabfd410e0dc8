"""Ticket use cases: ingest one or many, read one, list the tickets behind a number."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import Engine

from ticketminer.domain.anomalies import ActiveAnomaly
from ticketminer.domain.errors import FieldViolation, InvalidArgument, NotFound
from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.ingest import BulkIngestReport, BulkItem, RejectedItem
from ticketminer.domain.issues import IssueAssignment
from ticketminer.domain.model import IngestResult, Message, StoredTicket, Ticket
from ticketminer.domain.tenure import TenureOf, default_tenure
from ticketminer.domain.timeutil import to_us
from ticketminer.domain.upsert import UpsertPlan
from ticketminer.domain.validation import Limits, validate_ticket
from ticketminer.metrics.selection import select
from ticketminer.metrics.tenure import tenure_column
from ticketminer.services.facts_cache import FactsCache
from ticketminer.services.issue_columns import IssueColumns
from ticketminer.services.page_tokens import (
    decode_token,
    encode_token,
    filter_fingerprint,
    page_size_of,
)
from ticketminer.services.ticket_writes import PreparedTicket, store_tickets
from ticketminer.store.assignments_repo import assignment_history, current_assignments
from ticketminer.store.group_commit import GroupCommitter
from ticketminer.store.tickets_repo import get_ticket, get_tickets_by_pk

BULK_CHUNK = 1000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
DEFAULT_RESPONSE_BYTES = 12 * 1024 * 1024  # under gRPC's 16 MiB default send limit
_READ_STEP = 50  # tickets read at a time
_FIELD_OVERHEAD = 16  # tag, length and nesting bytes per field, generously


@dataclass(frozen=True, slots=True)
class TicketPage:
    tickets: list[StoredTicket]
    next_page_token: str
    total_size: int


# Tokenises and assigns an issue to validated tickets, before they are written.
Prepare = Callable[[Sequence[Ticket]], list[PreparedTicket]]


# The active anomalies an ingested ticket should hear about.
AnomaliesFor = Callable[[Ticket, IssueAssignment | None], Sequence[ActiveAnomaly]]
# Resolves a filter's anomaly_id into an issue and a window.
ResolveFilter = Callable[[str, TicketFilter], TicketFilter]


def _no_anomalies(_ticket: Ticket, _issue: IssueAssignment | None) -> Sequence[ActiveAnomaly]:
    return ()


def _unresolved(_tenant_id: str, flt: TicketFilter) -> TicketFilter:
    return flt


def _wire_bytes(text: str) -> int:
    return _FIELD_OVERHEAD + (len(text) if text.isascii() else len(text.encode("utf-8", "replace")))


def _message_bytes(message: Message) -> int:
    return 4 * _FIELD_OVERHEAD + sum(
        _wire_bytes(s) for s in (message.body, message.external_id, message.author_id)
    )


def _ticket_bytes(ticket: Ticket) -> int:
    """An upper estimate of the ticket's size on the wire, messages apart."""
    texts = [ticket.tenant_id, ticket.external_id, ticket.channel, ticket.subject]
    texts += [ticket.description, ticket.customer_id, ticket.language, *ticket.tags]
    texts += [s for item in ticket.attributes.items() for s in item]
    return 32 * _FIELD_OVERHEAD + sum(_wire_bytes(s) for s in texts)


def fit_to_budget(found: Sequence[StoredTicket], budget: int) -> list[StoredTicket]:
    """The leading tickets whose wire size fits `budget` (a response must stay under the
    send limit). The first one is always kept: if it alone is too big, its newest
    messages are left out and it says so."""
    out: list[StoredTicket] = []
    used = 0
    for stored in found:
        size = _ticket_bytes(stored.ticket)
        sizes = [_message_bytes(m) for m in stored.ticket.messages]
        if out and used + size + sum(sizes) > budget:
            break
        if not out and size + sum(sizes) > budget:
            keep, room = 0, budget - size
            while keep < len(sizes) and sizes[keep] <= room:
                room -= sizes[keep]
                keep += 1
            ticket = replace(stored.ticket, messages=stored.ticket.messages[:keep])
            stored = replace(stored, ticket=ticket, messages_truncated=True)
        used += size + sum(sizes)
        out.append(stored)
    return out


def _result(plan: UpsertPlan, item: PreparedTicket) -> IngestResult:
    t = plan.ticket
    return IngestResult(t.tenant_id, t.external_id, plan.outcome, plan.analysis, item.issue)


class TicketService:
    def __init__(
        self,
        engine: Engine,
        cache: FactsCache,
        issues: IssueColumns,
        prepare: Prepare,
        labels: Callable[[str], dict[int, str]],
        limits: Limits | None = None,
        anomalies_for: AnomaliesFor = _no_anomalies,
        resolve_filter: ResolveFilter = _unresolved,
        tenure: TenureOf = default_tenure,
        max_response_bytes: int = DEFAULT_RESPONSE_BYTES,
    ) -> None:
        self._max_response_bytes = max_response_bytes
        self._tenure = tenure
        self._labels = labels
        self._anomalies_for = anomalies_for
        self._resolve_filter = resolve_filter
        self._engine = engine
        self._cache = cache
        self._issues = issues
        self._prepare = prepare
        self._limits = limits or Limits()
        self._writer: GroupCommitter[PreparedTicket, UpsertPlan] = GroupCommitter(
            engine, store_tickets
        )

    def close(self) -> None:
        self._writer.close()

    def validate(self, ticket: Ticket) -> list[FieldViolation]:
        return validate_ticket(ticket, self._limits)

    def ingest(self, ticket: Ticket) -> IngestResult:
        """Upsert one ticket; returns once the change is committed to disk."""
        violations = self.validate(ticket)
        if violations:
            raise InvalidArgument(violations)
        prepared = self._prepare([ticket])
        result = _result(self._writer.write(prepared)[0], prepared[0])
        found = self._anomalies_for(ticket, prepared[0].issue)
        return replace(result, anomalies=tuple(found))

    def ingest_bulk(self, items: Iterable[BulkItem]) -> BulkIngestReport:
        """Store every valid item; invalid ones are reported, never fatal. Chunks are
        pipelined: the next one is validated while the previous one commits."""
        report = BulkIngestReport()
        pending: Future[list[UpsertPlan]] | None = None
        chunk: list[Ticket] = []

        def settle(future: Future[list[UpsertPlan]] | None) -> None:
            if future is not None:
                for plan in future.result():
                    report.count(plan.outcome)

        for index, item in enumerate(items):
            if isinstance(item, RejectedItem):
                report.reject(item)
                continue
            violations = validate_ticket(item, self._limits)
            if violations:
                report.reject(RejectedItem(index, item.external_id, violations))
                continue
            chunk.append(item)
            if len(chunk) >= BULK_CHUNK:
                nxt = self._writer.submit(self._prepare(chunk))
                settle(pending)
                pending, chunk = nxt, []
        nxt = self._writer.submit(self._prepare(chunk)) if chunk else None
        settle(pending)
        settle(nxt)
        return report

    def get(self, tenant_id: str, external_id: str) -> StoredTicket:
        if not external_id:
            raise InvalidArgument([FieldViolation("external_id", "is required")])
        with self._engine.connect() as conn:
            found = get_ticket(conn, tenant_id, external_id)
            if found is None:
                raise NotFound(f"ticket {external_id!r} not found in tenant {tenant_id!r}")
            labels = self._labels(tenant_id)
            history = assignment_history(conn, found.pk, labels)
            now = current_assignments(conn, [found.pk]).get(found.pk)
        current = history[-1] if history else None
        if current is not None and now is not None and now[3]:
            current = replace(current, sub_issue_id=now[3], sub_issue_label=labels.get(now[3], ""))
            history[-1] = current
        found = fit_to_budget([found], self._max_response_bytes)[0]
        return replace(found, issue=current, issue_history=tuple(history))

    def _with_issues(self, conn, tenant_id: str, found: list[StoredTicket]) -> list[StoredTicket]:
        current = current_assignments(conn, [t.pk for t in found])
        labels = self._labels(tenant_id) if current else {}
        out = []
        for t in found:
            if t.pk in current:
                issue_id, confidence, model_version, sub = current[t.pk]
                t = replace(
                    t,
                    issue=IssueAssignment(
                        issue_id,
                        labels.get(issue_id, ""),
                        confidence,
                        model_version,
                        sub_issue_id=sub,
                        sub_issue_label=labels.get(sub, "") if sub else "",
                    ),
                )
            out.append(t)
        return out

    def list(
        self,
        tenant_id: str,
        flt: TicketFilter,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str = "",
        include_messages: bool = False,
    ) -> TicketPage:
        """Newest first (created_at, then pk, descending); keyset-paginated, so pages
        stay consistent while new tickets arrive."""
        page_size = page_size_of(page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        fingerprint = filter_fingerprint(tenant_id, flt)
        buckets = self._tenure(tenant_id)
        buckets.check(flt.tenure_buckets, "filter.tenure_buckets")
        flt = self._resolve_filter(tenant_id, flt)
        facts = self._cache.table(tenant_id)
        mask = select(
            facts,
            flt,
            lambda key: self._cache.attribute(tenant_id, facts, key),
            lambda: self._issues.column(tenant_id, facts),
            lambda: tenure_column(facts, buckets),
            lambda: self._cache.tags(tenant_id, facts),
        )
        rows = np.flatnonzero(mask)
        total = len(rows)
        created, pks = facts.created_us[rows], facts.pk[rows]
        if page_token:
            last_created, last_pk = decode_token(page_token, fingerprint)
            after = (created < last_created) | ((created == last_created) & (pks < last_pk))
            created, pks = created[after], pks[after]
        order = np.lexsort((-pks, -created))[:page_size]
        page_pks = [int(p) for p in pks[order]]
        with self._engine.connect() as conn:
            tickets = self._read_within_budget(conn, page_pks, include_messages)
            tickets = self._with_issues(conn, tenant_id, tickets)
        next_token = ""
        if tickets and len(tickets) < len(created):
            last = tickets[-1]
            next_token = encode_token(to_us(last.ticket.created_at), last.pk, fingerprint)
        return TicketPage(tickets, next_token, total)

    def _read_within_budget(
        self, conn, pks: list[int], include_messages: bool
    ) -> list[StoredTicket]:
        """The page's tickets, read a few at a time so that large ones never sit in
        memory beyond what the response can hold."""
        out: list[StoredTicket] = []
        for start in range(0, len(pks), _READ_STEP):
            chunk = pks[start : start + _READ_STEP]
            found = out + get_tickets_by_pk(conn, chunk, include_messages)
            out = fit_to_budget(found, self._max_response_bytes)
            if len(out) < len(found):
                break
        return out
