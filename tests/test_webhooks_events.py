"""`apply_event`, the rule that turns a helpdesk event into the ticket's current
state: solves, reopens (counted once, first solve kept), threads without repeats,
and a repeated event leaves the state it left the first time."""

from __future__ import annotations

from builders import at
from hypothesis import given
from hypothesis import strategies as st

from ticketminer.domain.model import AuthorRole, Message, TicketStatus
from ticketminer.domain.ticket_events import TicketEvent, apply_event, merge_messages

S = TicketStatus


def _event(minute: float, status: S = S.UNSPECIFIED, *messages: Message, **fields) -> TicketEvent:
    return TicketEvent("t1", at(minute), status=status, messages=messages, **fields)


def _msg(minute: float, role: AuthorRole = AuthorRole.CUSTOMER, external_id: str = "") -> Message:
    return Message(role, at(minute), f"said at {minute}", True, external_id)


def test_a_new_ticket_starts_at_its_stated_creation_or_earliest_moment() -> None:
    stated = apply_event(None, _event(30, S.OPEN, created_at=at(5)), "shop")
    assert (stated.created_at, stated.tenant_id, stated.updated_at) == (at(5), "shop", at(30))
    guessed = apply_event(None, _event(30, S.OPEN, _msg(10), _msg(20)), "shop")
    assert guessed.created_at == at(10)


def test_solve_reopen_solve() -> None:
    t = apply_event(None, _event(0, S.OPEN, _msg(0)), "shop")
    t = apply_event(t, _event(60, S.SOLVED), "shop")
    assert (t.status, t.solved_at, t.reopen_count) == (S.SOLVED, at(60), 0)
    t = apply_event(t, _event(70, S.CLOSED), "shop")
    assert (t.status, t.solved_at) == (S.CLOSED, at(60))  # closing keeps the solve time
    t = apply_event(t, _event(120, S.OPEN, _msg(120)), "shop")
    assert (t.status, t.reopen_count, t.first_solved_at, t.solved_at) == (S.OPEN, 1, at(60), None)
    t = apply_event(t, _event(180, S.SOLVED, solved_at=at(175)), "shop")
    assert (t.solved_at, t.first_solved_at, t.reopen_count) == (at(175), at(60), 1)


def test_a_status_the_event_does_not_state_is_kept() -> None:
    t = apply_event(None, _event(0, S.PENDING), "shop")
    t = apply_event(t, _event(10, S.UNSPECIFIED, _msg(10), subject="new subject"), "shop")
    assert (t.status, t.subject, len(t.messages)) == (S.PENDING, "new subject", 1)


def test_threads_do_not_repeat_messages() -> None:
    a, b = _msg(0, external_id="1"), _msg(5)
    edited = Message(AuthorRole.CUSTOMER, at(0), "edited", True, "1")
    assert merge_messages([a, b], [b, edited]) == [edited, b]
    assert merge_messages([b], [_msg(3)]) == [_msg(3), b]


def test_attributes_merge_and_the_stored_ticket_is_untouched() -> None:
    t = apply_event(None, _event(0, S.OPEN, attributes={"carrier": "SF"}), "shop")
    after = apply_event(t, _event(1, attributes={"region": "south"}), "shop")
    assert after.attributes == {"carrier": "SF", "region": "south"}
    assert t.attributes == {"carrier": "SF"}


def test_a_late_event_adds_its_message_and_changes_nothing_else() -> None:
    t = apply_event(None, _event(0, S.OPEN, _msg(0, external_id="m0")), "shop")
    t = apply_event(
        t, _event(60, S.SOLVED, _msg(60, AuthorRole.AGENT, "m2"), subject="new"), "shop"
    )
    edited = Message(AuthorRole.CUSTOMER, at(0), "first version", True, "m0")
    late = apply_event(
        t, _event(30, S.OPEN, _msg(30, external_id="m1"), edited, subject="old"), "shop"
    )
    assert [m.external_id for m in late.messages] == ["m0", "m1", "m2"]
    assert late.messages[0] == t.messages[0]  # the stored copy of a message wins
    assert (late.status, late.subject, late.updated_at) == (S.SOLVED, "new", at(60))
    assert late.solved_at == t.solved_at


_statuses = st.sampled_from(list(S))
_events = st.builds(
    lambda minute, status, with_message, ident: _event(
        minute,
        status,
        *([_msg(minute, AuthorRole.AGENT, ident)] if with_message else []),
    ),
    st.integers(0, 500),
    _statuses,
    st.booleans(),
    st.sampled_from(["", "m1", "m2"]),
)


@given(st.lists(_events, min_size=1, max_size=8))
def test_a_repeated_event_leaves_the_same_state(events) -> None:
    ticket = None
    for event in events:
        once = apply_event(ticket, event, "shop")
        assert apply_event(once, event, "shop") == once
        ticket = once
    assert ticket.reopen_count <= len(events)
