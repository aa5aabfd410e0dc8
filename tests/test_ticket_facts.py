"""Per-ticket metric facts on hand-built tickets (DESIGN.md §3)."""

from __future__ import annotations

from builders import agent, bot, customer, ticket

from ticketminer.domain.model import FactSource, ReportedFacts, TicketStatus
from ticketminer.metrics.ticket_facts import analyse

SOLVED = TicketStatus.SOLVED


def test_one_touch_ticket_is_fcr_with_response_and_resolution_times():
    t = ticket("a", 0, customer(0), bot(1), agent(30), status=SOLVED, solved=90)
    a = analyse(t)
    assert a.first_response_seconds == 30 * 60  # the bot at minute 1 does not count
    assert a.resolution_seconds == 90 * 60
    assert a.full_resolution_seconds == 90 * 60
    assert a.public_agent_replies == 1
    assert (a.fcr, a.fcr_no_followup, a.solved, a.reopened) == (True, True, True, False)


def test_private_agent_notes_are_not_replies():
    t = ticket("a", 0, agent(5, public=False), agent(20), status=SOLVED, solved=25)
    assert analyse(t).first_response_seconds == 20 * 60
    assert analyse(t).public_agent_replies == 1


def test_two_agent_replies_break_one_touch_but_not_no_followup():
    t = ticket("a", 0, customer(0), agent(10), agent(12), status=TicketStatus.CLOSED, solved=60)
    a = analyse(t)
    assert a.fcr is False
    assert a.fcr_no_followup is True  # the customer never wrote after minute 10


def test_customer_follow_up_breaks_no_followup_variant_only():
    t = ticket("a", 0, customer(0), agent(10), customer(15), status=SOLVED, solved=60)
    a = analyse(t)
    assert (a.fcr, a.fcr_no_followup) == (True, False)


def test_reopened_ticket_is_never_fcr_and_keeps_first_and_last_solve():
    t = ticket("a", 0, agent(10), status=SOLVED, first_solved=60, solved=300, reopens=1)
    a = analyse(t)
    assert (a.fcr, a.fcr_no_followup, a.reopened) == (False, False, True)
    assert a.resolution_seconds == 60 * 60
    assert a.full_resolution_seconds == 300 * 60


def test_open_ticket_has_no_fcr_and_no_resolution():
    t = ticket("a", 0, customer(0), status=TicketStatus.OPEN)
    a = analyse(t)
    assert a.fcr is None and a.fcr_no_followup is None
    assert a.first_response_seconds is None
    assert a.resolution_seconds is None and a.full_resolution_seconds is None
    assert not a.ever_solved


def test_reopened_and_open_again_still_counts_its_first_solve():
    t = ticket("a", 0, status=TicketStatus.OPEN, first_solved=45, reopens=1)
    a = analyse(t)
    assert a.ever_solved and not a.solved
    assert a.resolution_seconds == 45 * 60
    assert a.full_resolution_seconds is None


def test_solved_without_any_agent_reply_is_not_fcr():
    # Nobody resolved it on contact: an export without comments would otherwise read
    # as ~100 % FCR. Zendesk's one-touch means exactly one reply.
    t = ticket("a", 0, customer(0), status=SOLVED, solved=5)
    a = analyse(t)
    assert (a.fcr, a.fcr_no_followup, a.public_agent_replies) == (False, False, 0)
    assert a.public_agent_replies_source == FactSource.UNSPECIFIED


def test_reported_facts_stand_in_for_a_missing_thread():
    t = ticket("a", 0, status=SOLVED, solved=5)
    t.reported = ReportedFacts(public_agent_replies=1, first_response_seconds=90.0)
    a = analyse(t)
    assert (a.fcr, a.public_agent_replies, a.first_response_seconds) == (True, 1, 90.0)
    assert a.first_response_source == a.public_agent_replies_source == FactSource.REPORTED
    t.reported = ReportedFacts(public_agent_replies=3)
    a = analyse(t)
    assert (a.fcr, a.first_response_seconds, a.first_response_source) == (
        False,
        None,
        FactSource.UNSPECIFIED,
    )


def test_the_thread_wins_over_reported_facts():
    t = ticket("a", 0, customer(0), agent(60), status=SOLVED, solved=5)
    t.reported = ReportedFacts(public_agent_replies=4, first_response_seconds=9999.0)
    a = analyse(t)
    assert (a.public_agent_replies, a.first_response_seconds, a.fcr) == (1, 3600.0, True)
    assert a.first_response_source == a.public_agent_replies_source == FactSource.THREAD
