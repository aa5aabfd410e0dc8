"""Mapping between domain tickets and `tickets` rows."""

from __future__ import annotations

import json
from typing import Any

from ticketminer.domain.model import (
    AuthorRole,
    FactSource,
    Message,
    ReportedFacts,
    StoredTicket,
    Ticket,
    TicketAnalysis,
    TicketStatus,
)
from ticketminer.domain.timeutil import from_us, from_us_or_none, to_us, to_us_or_none

_COMPACT = {"ensure_ascii": False, "separators": (",", ":")}


def _messages_json(messages: list[Message]) -> str:
    return json.dumps(
        [
            [m.external_id, int(m.author_role), to_us(m.created_at), m.body, m.public, m.author_id]
            for m in messages
        ],
        **_COMPACT,
    )


def _messages_from_json(blob: str) -> list[Message]:
    return [
        Message(
            external_id=ext,
            author_role=AuthorRole(role),
            created_at=from_us(created),
            body=body,
            public=public,
            author_id=author,
        )
        for ext, role, created, body, public, author in json.loads(blob)
    ]


def ticket_row(
    ticket: Ticket, analysis: TicketAnalysis, content_hash: str, version: int, now_us: int
) -> dict[str, Any]:
    return {
        "tenant_id": ticket.tenant_id,
        "external_id": ticket.external_id,
        "version": version,
        "ingested_us": now_us,
        "content_hash": content_hash,
        "created_us": to_us(ticket.created_at),
        "updated_us": to_us_or_none(ticket.updated_at),
        "channel": ticket.channel,
        "subject": ticket.subject,
        "description": ticket.description,
        "status": int(ticket.status),
        "solved_us": to_us_or_none(ticket.solved_at),
        "first_solved_us": to_us_or_none(ticket.first_solved_at),
        "reopen_count": ticket.reopen_count,
        "customer_id": ticket.customer_id,
        "customer_since_us": to_us_or_none(ticket.customer_since),
        "csat": ticket.csat,
        "language": ticket.language,
        "messages_json": _messages_json(ticket.messages),
        "attributes_json": json.dumps(ticket.attributes, **_COMPACT),
        "tags_json": json.dumps(ticket.tags, **_COMPACT),
        "first_response_s": analysis.first_response_seconds,
        "resolution_s": analysis.resolution_seconds,
        "full_resolution_s": analysis.full_resolution_seconds,
        "agent_replies": analysis.public_agent_replies,
        "solved": analysis.solved,
        "ever_solved": analysis.ever_solved,
        "reopened": analysis.reopened,
        "fcr": analysis.fcr,
        "fcr_no_followup": analysis.fcr_no_followup,
        "reported_replies": ticket.reported.public_agent_replies,
        "reported_first_response_s": ticket.reported.first_response_seconds,
        "first_response_source": int(analysis.first_response_source),
        "replies_source": int(analysis.public_agent_replies_source),
    }


def analysis_from_row(row: Any) -> TicketAnalysis:
    return TicketAnalysis(
        first_response_seconds=row.first_response_s,
        resolution_seconds=row.resolution_s,
        full_resolution_seconds=row.full_resolution_s,
        public_agent_replies=row.agent_replies,
        solved=bool(row.solved),
        ever_solved=bool(row.ever_solved),
        reopened=bool(row.reopened),
        fcr=None if row.fcr is None else bool(row.fcr),
        fcr_no_followup=None if row.fcr_no_followup is None else bool(row.fcr_no_followup),
        first_response_source=FactSource(row.first_response_source),
        public_agent_replies_source=FactSource(row.replies_source),
    )


def stored_ticket_from_row(row: Any, include_messages: bool = True) -> StoredTicket:
    ticket = Ticket(
        tenant_id=row.tenant_id,
        external_id=row.external_id,
        created_at=from_us(row.created_us),
        updated_at=from_us_or_none(row.updated_us),
        channel=row.channel,
        subject=row.subject,
        description=row.description,
        messages=_messages_from_json(row.messages_json) if include_messages else [],
        status=TicketStatus(row.status),
        solved_at=from_us_or_none(row.solved_us),
        first_solved_at=from_us_or_none(row.first_solved_us),
        reopen_count=row.reopen_count,
        customer_id=row.customer_id,
        customer_since=from_us_or_none(row.customer_since_us),
        attributes=json.loads(row.attributes_json),
        tags=json.loads(row.tags_json),
        csat=row.csat,
        language=row.language,
        reported=ReportedFacts(row.reported_replies, row.reported_first_response_s),
    )
    return StoredTicket(ticket, analysis_from_row(row), from_us(row.ingested_us), row.pk)
