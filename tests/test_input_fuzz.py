"""Property tests for the input-handling code: no input crashes it, and every
problem comes back as a field violation."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketminer.api.convert import ticket_from_proto
from ticketminer.api.deserialize import MalformedRequest, lenient_parser, locate_problems
from ticketminer.domain.validation import Limits, validate_ticket
from ticketminer.v1 import ticketminer_pb2 as pb

parse_request = lenient_parser(pb.IngestTicketRequest)

texts = st.text(max_size=40)
seconds = st.integers(min_value=-(2**40), max_value=2**40)
timestamps = st.builds(lambda s, n: {"seconds": s, "nanos": n}, seconds, st.integers(0, 2**31 - 1))
messages = st.fixed_dictionaries(
    {"author_role": st.integers(0, 2**31 - 1), "body": texts, "public": st.booleans()},
    optional={"created_at": timestamps},
)
tickets = st.fixed_dictionaries(
    {
        "external_id": texts,
        "tenant_id": texts,
        "channel": texts,
        "subject": texts,
        "status": st.integers(0, 2**31 - 1),
        "reopen_count": st.integers(0, 2**32 - 1),
        "attributes": st.dictionaries(texts, texts, max_size=4),
        "tags": st.lists(texts, max_size=4),
        "messages": st.lists(messages, max_size=4),
    },
    optional={
        "created_at": timestamps,
        "solved_at": timestamps,
        "updated_at": timestamps,
        "csat": st.integers(0, 2**32 - 1),
    },
)


@given(st.binary(max_size=300))
@settings(max_examples=300)
def test_any_bytes_parse_or_explain(data):
    parsed = parse_request(data)
    if isinstance(parsed, MalformedRequest):
        assert parsed.violations
        assert all(v.description for v in parsed.violations)
    else:
        assert isinstance(parsed, pb.IngestTicketRequest)


@given(tickets)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_any_wire_ticket_converts_and_validates_without_raising(fields):
    msg = pb.Ticket(**fields)
    ticket, wire = ticket_from_proto(msg)
    problems = wire + validate_ticket(ticket, Limits(max_text_bytes=64))
    for v in problems:
        assert v.field and v.description
    if not problems:
        assert ticket.external_id and ticket.created_at is not None
        assert ticket.csat is None or 1 <= ticket.csat <= 5


@given(tickets, st.sampled_from(["subject", "external_id", "channel"]))
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_bad_utf8_is_located_in_the_field_that_holds_it(fields, name):
    fields = dict(fields, **{name: "QQQQ"})
    raw = pb.IngestTicketRequest(ticket=pb.Ticket(**fields)).SerializeToString()
    if raw.count(b"QQQQ") != 1:
        return  # the marker also appears elsewhere; ambiguous, skip
    broken = raw.replace(b"QQQQ", b"Q\xc3(Q")
    parsed = parse_request(broken)
    assert isinstance(parsed, MalformedRequest)
    assert [v.field for v in parsed.violations] == [f"ticket.{name}"]


def test_truncated_message_is_reported_not_raised():
    raw = pb.IngestTicketRequest(ticket=pb.Ticket(subject="x" * 50)).SerializeToString()
    problems = locate_problems(raw[:-10], pb.IngestTicketRequest.DESCRIPTOR)
    assert problems and "well-formed" in problems[0].description


@given(st.text(max_size=20))
def test_issue_ids_parse_or_name_the_field(value):
    """Any string is either a valid issue id or an INVALID_ARGUMENT naming the field."""
    from ticketminer.api.convert import issue_id_from_proto
    from ticketminer.domain.errors import InvalidArgument

    try:
        parsed = issue_id_from_proto(value, "filter.issue_ids[0]")
    except InvalidArgument as exc:
        assert [v.field for v in exc.violations] == ["filter.issue_ids[0]"]
    else:
        assert parsed == 0 if value == "" else (parsed >= 1 and int(value) == parsed)
