"""Derive a ticket's metric facts once, at ingest, so aggregation is pure arithmetic.

The rules here are the metric definitions of DESIGN.md §3; `definitions.py` states
them in words and must change together with this module.
"""

from __future__ import annotations

from ticketminer.domain.model import AuthorRole, FactSource, Ticket, TicketAnalysis


def _seconds_between(start, end) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def analyse(ticket: Ticket) -> TicketAnalysis:
    """Compute the per-ticket values behind FCR, response and resolution times."""
    thread = sorted(ticket.messages, key=lambda m: m.created_at)
    agent_replies = [m for m in thread if m.public and m.author_role == AuthorRole.AGENT]
    first_reply = agent_replies[0].created_at if agent_replies else None
    replies = len(agent_replies)
    first_response = _seconds_between(ticket.created_at, first_reply)
    replies_source = first_response_source = (
        FactSource.THREAD if agent_replies else FactSource.UNSPECIFIED
    )
    reported = ticket.reported
    # An export without the thread states the numbers instead (Ticket.reported); the
    # thread wins as soon as it holds a public agent reply.
    if not agent_replies and reported.public_agent_replies is not None:
        replies, replies_source = reported.public_agent_replies, FactSource.REPORTED
    if not agent_replies and reported.first_response_seconds is not None:
        first_response = reported.first_response_seconds
        first_response_source = FactSource.REPORTED

    solved = ticket.status.is_solved
    first_solve = ticket.first_solved_at or ticket.solved_at
    ever_solved = solved or first_solve is not None
    reopened = ticket.reopen_count > 0

    fcr: bool | None = None
    fcr_no_followup: bool | None = None
    if solved:
        # A ticket solved without any public agent reply was not resolved by a
        # contact (an export without comments would otherwise read as ~100 % FCR).
        fcr = replies == 1 and not reopened
        followed_up = first_reply is not None and any(
            m.author_role == AuthorRole.CUSTOMER and m.created_at > first_reply for m in thread
        )
        fcr_no_followup = replies >= 1 and not followed_up and not reopened

    return TicketAnalysis(
        first_response_seconds=first_response,
        resolution_seconds=_seconds_between(ticket.created_at, first_solve),
        full_resolution_seconds=(
            _seconds_between(ticket.created_at, ticket.solved_at) if solved else None
        ),
        public_agent_replies=replies,
        solved=solved,
        ever_solved=ever_solved,
        reopened=reopened,
        fcr=fcr,
        fcr_no_followup=fcr_no_followup,
        first_response_source=first_response_source,
        public_agent_replies_source=replies_source,
    )
