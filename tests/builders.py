"""Hand-built tickets for tests: times are minutes after a fixed UTC start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticketminer.domain.model import AuthorRole, Message, Ticket, TicketStatus

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def msg(role: AuthorRole, minute: float, public: bool = True, body: str = "") -> Message:
    return Message(author_role=role, created_at=at(minute), body=body, public=public)


def customer(minute: float) -> Message:
    return msg(AuthorRole.CUSTOMER, minute)


def agent(minute: float, public: bool = True) -> Message:
    return msg(AuthorRole.AGENT, minute, public)


def bot(minute: float) -> Message:
    return msg(AuthorRole.BOT, minute)


def ticket(
    external_id: str,
    created: float = 0,
    *messages: Message,
    status: TicketStatus = TicketStatus.OPEN,
    solved: float | None = None,
    first_solved: float | None = None,
    reopens: int = 0,
    **fields,
) -> Ticket:
    return Ticket(
        external_id=external_id,
        created_at=at(created),
        messages=list(messages),
        status=status,
        solved_at=None if solved is None else at(solved),
        first_solved_at=None if first_solved is None else at(first_solved),
        reopen_count=reopens,
        **fields,
    )
