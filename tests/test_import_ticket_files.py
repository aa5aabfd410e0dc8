"""JSONL and CSV ticket files: round trips, and bad rows reported by index and field."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketminer.api.convert import ticket_to_proto
from ticketminer.domain.model import AuthorRole, Message, Ticket, TicketStatus
from ticketminer.importers import RowError, read_ticket_file
from ticketminer.importers.ticket_files import parse_error_violation
from ticketminer.v1 import ticketminer_pb2 as pb

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def full_ticket(external_id: str = "T-1") -> Ticket:
    return Ticket(
        tenant_id="acme",
        external_id=external_id,
        created_at=T0,
        updated_at=T0 + timedelta(hours=5),
        channel="email",
        subject="Parcel, late",
        description='Line one\nline "two", with a comma',
        messages=[
            Message(AuthorRole.CUSTOMER, T0, "Where is it?", True, "m1", "c9"),
            Message(AuthorRole.AGENT, T0 + timedelta(minutes=7, microseconds=5), "On its way"),
            Message(AuthorRole.SYSTEM, T0 + timedelta(hours=1), "assigned", public=False),
        ],
        status=TicketStatus.SOLVED,
        solved_at=T0 + timedelta(hours=4),
        first_solved_at=T0 + timedelta(hours=2),
        reopen_count=1,
        customer_id="c9",
        customer_since=T0 - timedelta(days=400),
        attributes={"carrier": "DHL", "region": "EU", "note": "a|b"},
        tags=["late", "vip"],
        csat=4,
        language="en",
    )


def to_json_line(ticket: Ticket) -> str:
    msg = pb.Ticket()
    ticket_to_proto(ticket, msg)
    return json_format.MessageToJson(msg, indent=None)


def _time(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


def to_csv_row(ticket: Ticket) -> dict[str, str]:
    row = {
        "tenant_id": ticket.tenant_id,
        "external_id": ticket.external_id,
        "created_at": _time(ticket.created_at),
        "updated_at": _time(ticket.updated_at),
        "channel": ticket.channel,
        "subject": ticket.subject,
        "description": ticket.description,
        "status": ticket.status.name,
        "solved_at": _time(ticket.solved_at),
        "first_solved_at": _time(ticket.first_solved_at),
        "reopen_count": str(ticket.reopen_count),
        "customer_id": ticket.customer_id,
        "customer_since": _time(ticket.customer_since),
        "csat": "" if ticket.csat is None else str(ticket.csat),
        "language": ticket.language,
        "tags": "|".join(ticket.tags),
    }
    msg = pb.Ticket()
    ticket_to_proto(ticket, msg)
    messages = json_format.MessageToDict(msg).get("messages", [])
    row["messages"] = json.dumps(messages) if messages else ""
    for key, value in ticket.attributes.items():
        row[f"attributes.{key}"] = value
    return row


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    columns = list(dict.fromkeys(name for row in rows for name in row))
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- format selection --------------------------------------------------------------


def test_format_is_inferred_from_the_extension(tmp_path: Path) -> None:
    for name in ("a.jsonl", "a.NDJSON", "a.json"):
        path = tmp_path / name
        path.write_text(to_json_line(full_ticket()) + "\n", encoding="utf-8")
        assert list(read_ticket_file(path)) == [full_ticket()]
    with pytest.raises(ValueError, match="cannot infer"):
        read_ticket_file(tmp_path / "tickets.txt")
    with pytest.raises(ValueError, match="unknown format"):
        read_ticket_file(tmp_path / "a.jsonl", fmt="xml")


def test_explicit_format_overrides_the_extension(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.txt", [to_csv_row(full_ticket())])
    assert list(read_ticket_file(path, fmt="csv")) == [full_ticket()]


# --- JSONL -------------------------------------------------------------------------


def test_jsonl_round_trip_skips_blank_lines(tmp_path: Path) -> None:
    tickets = [full_ticket("T-1"), Ticket(external_id="T-2", created_at=T0)]
    path = tmp_path / "t.jsonl"
    path.write_text(
        "\n" + to_json_line(tickets[0]) + "\n   \n" + to_json_line(tickets[1]) + "\n",
        encoding="utf-8",
    )
    assert list(read_ticket_file(path)) == tickets


def test_jsonl_accepts_proto_field_names_and_short_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    line = {
        "external_id": "T-9",
        "created_at": "2024-03-01T09:30:00Z",
        "status": "TICKET_STATUS_OPEN",
        "attributes": {"sku": "42"},
    }
    path.write_text(json.dumps(line), encoding="utf-8")
    (ticket,) = read_ticket_file(path)
    assert ticket == Ticket(
        external_id="T-9",
        created_at=T0,
        status=TicketStatus.OPEN,
        attributes={"sku": "42"},
    )


def test_jsonl_bad_lines_become_row_errors(tmp_path: Path) -> None:
    good = to_json_line(full_ticket("ok"))
    lines = [
        good,
        "{not json",
        '{"externalId": "T-2", "createdAt": "2024-03-01T00:00:00Z", "colour": "red"}',
        '{"externalId": "T-3", "createdAt": "2024-03-01T00:00:00Z", "status": "DONE"}',
        '{"externalId": "T-4", "createdAt": "2024-03-01T00:00:00Z",'
        ' "messages": [{"authorRole": "AUTHOR_ROLE_AGENT", "createdAt": "yesterday"}]}',
        '{"externalId": "T-5"}',  # no createdAt: the service's to reject, not a wire error
        '{"externalId": "T-6", "createdAt": "2024-03-01T00:00:00Z", "status": 42}',
        "[1, 2]",
        '{"externalId": "T-8", "externalId": "T-8b"}',
        good,
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(read_ticket_file(path))
    assert len(items) == len(lines)
    assert items[0] == items[-1] == full_ticket("ok")
    errors = {item.index: item for item in items if isinstance(item, RowError)}
    assert sorted(errors) == [1, 2, 3, 4, 6, 7, 8]
    assert items[5] == Ticket(external_id="T-5", created_at=None)  # type: ignore[arg-type]
    summary = {i: (e.external_id, [v.field for v in e.violations]) for i, e in errors.items()}
    assert summary == {
        1: ("", ["line"]),
        2: ("T-2", ["colour"]),
        3: ("T-3", ["status"]),
        4: ("T-4", ["messages[0].created_at"]),
        6: ("T-6", ["status"]),
        7: ("", ["line"]),
        8: ("", ["line"]),
    }
    assert "DONE" in errors[3].violations[0].description
    assert "duplicate key" in errors[8].violations[0].description


def test_jsonl_tolerates_a_bom_and_isolates_bad_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    good = to_json_line(full_ticket()).encode()
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\n" + b'{"externalId": "\xff"}\n' + good)
    items = list(read_ticket_file(path))
    assert items[0] == items[2] == full_ticket()
    assert isinstance(items[1], RowError)
    assert items[1].index == 1
    assert items[1].violations[0].field == "line"


def test_parse_error_paths_use_proto_field_names() -> None:
    nested = (
        'Message type "ticketminer.v1.Message" has no field named "mood" at "Ticket.messages[2]".'
    )
    assert parse_error_violation(nested).field == "messages[2].mood"
    assert parse_error_violation("something odd").field == "line"
    out_of_range = parse_error_violation(
        "Failed to parse reopenCount field: Value out of range: -1."
    )
    assert out_of_range.field == "reopen_count"
    assert out_of_range.description == "Value out of range: -1"


# --- CSV ---------------------------------------------------------------------------


def test_csv_round_trip(tmp_path: Path) -> None:
    tickets = [full_ticket("T-1"), Ticket(external_id="T-2", created_at=T0)]
    path = write_csv(tmp_path / "t.csv", [to_csv_row(t) for t in tickets])
    assert list(read_ticket_file(path)) == tickets


def test_csv_minimal_columns_short_status_and_empty_attribute_cells(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "external_id,created_at,status,attributes.sku,tags\n"
        "A,2024-03-01T09:30:00+01:00,solved,,a| b ||c\n"
        "B,2024-03-01 09:30:00Z,Ticket_Status_On_Hold,42,\n"
        "\n"
        "C,2024-03-01T09:30:00.123456789Z,on hold,x,\n",
        encoding="utf-8",
    )
    a, b, c = read_ticket_file(path)
    assert a == Ticket(
        external_id="A",
        created_at=T0 - timedelta(hours=1),
        status=TicketStatus.SOLVED,
        tags=["a", "b", "c"],
    )
    assert b.status == TicketStatus.ON_HOLD and b.attributes == {"sku": "42"}
    assert b.created_at == T0
    assert c.status == TicketStatus.ON_HOLD
    assert c.created_at == T0 + timedelta(microseconds=123456)


def test_csv_bad_cells_become_row_errors_naming_the_column(tmp_path: Path) -> None:
    header = "external_id,created_at,status,reopen_count,csat,messages"
    rows = [
        'ok,2024-03-01T09:30:00Z,open,0,,"[]"',
        "r1,2024-03-01T09:30:00,open,0,,",  # no UTC offset
        "r2,2024-03-01T09:30:00Z,finished,-1,five,",
        'r3,2024-03-01T09:30:00Z,open,0,,"{""a"": 1}"',
        'r4,2024-03-01T09:30:00Z,open,0,,"[{""createdAt"": ""x""}]"',
        'r5,2024-03-01T09:30:00Z,open,0,,"[{""authorRole"": ""AUTHOR_ROLE_AGENT""}]"',
        "r6,2024-03-01T09:30:00Z,open",  # too few cells
        ",,,99999999999,,",
        "r8,2024-03-01T09:30:00Z,7,0,,",
    ]
    path = tmp_path / "t.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    items = list(read_ticket_file(path))
    assert isinstance(items[0], Ticket)
    # A message without createdAt is well-formed; validate_ticket reports it.
    assert isinstance(items[5], Ticket) and items[5].messages[0].created_at is None
    summary = {
        item.index: (item.external_id, [v.field for v in item.violations])
        for item in items
        if isinstance(item, RowError)
    }
    assert summary == {
        1: ("r1", ["created_at"]),
        2: ("r2", ["status", "reopen_count", "csat"]),
        3: ("r3", ["messages"]),
        4: ("r4", ["messages[0].created_at"]),
        6: ("r6", ["row"]),
        7: ("", ["reopen_count"]),
        8: ("r8", ["status"]),  # unknown enum number, reported by ticket_from_proto
    }


def test_csv_does_not_apply_business_validation(tmp_path: Path) -> None:
    # solved before created, csat 9, no external_id: the service's job, not the reader's.
    path = tmp_path / "t.csv"
    path.write_text(
        "external_id,created_at,solved_at,csat\n,2024-03-01T09:30:00Z,2024-01-01T00:00:00Z,9\n",
        encoding="utf-8",
    )
    (ticket,) = read_ticket_file(path)
    assert isinstance(ticket, Ticket)
    assert ticket.csat == 9


def test_csv_with_a_bom(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [to_csv_row(full_ticket())], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(read_ticket_file(path)) == [full_ticket()]


@pytest.mark.parametrize(
    ("header", "match"),
    [
        ("external_id,created_at,colour", "unknown CSV column 'colour'"),
        ("external_id,created_at,external_id", "appears twice"),
        ("external_id,attributes.", "no attribute key"),
    ],
)
def test_csv_bad_header_fails_the_file(tmp_path: Path, header: str, match: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        list(read_ticket_file(path))


def test_empty_csv_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("", encoding="utf-8")
    assert list(read_ticket_file(path)) == []


# --- property: both formats round-trip any wire-valid ticket ----------------------

_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
_cell = _text.filter(lambda s: s != "")
_tag = st.text(
    st.characters(blacklist_categories=("Cs", "Z", "Cc")).filter(lambda c: c != "|"),
    min_size=1,
)
_times = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
_optional_times = st.none() | _times
_messages = st.builds(
    Message,
    author_role=st.sampled_from(AuthorRole),
    created_at=_times,
    body=_text,
    public=st.booleans(),
    external_id=_text,
    author_id=_text,
)
_tickets = st.builds(
    Ticket,
    external_id=_text,
    created_at=_times,
    tenant_id=_cell,
    updated_at=_optional_times,
    channel=_text,
    subject=_text,
    description=_text,
    messages=st.lists(_messages, max_size=3),
    status=st.sampled_from(TicketStatus),
    solved_at=_optional_times,
    first_solved_at=_optional_times,
    reopen_count=st.integers(0, 2**32 - 1),
    customer_id=_text,
    customer_since=_optional_times,
    attributes=st.dictionaries(_cell, _cell, max_size=3),
    tags=st.lists(_tag, max_size=3),
    csat=st.none() | st.integers(0, 2**32 - 1),
    language=_text,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tickets=st.lists(_tickets, min_size=1, max_size=4))
def test_any_wire_valid_ticket_round_trips(tmp_path: Path, tickets: list[Ticket]) -> None:
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text("".join(to_json_line(t) + "\n" for t in tickets), encoding="utf-8")
    assert list(read_ticket_file(jsonl)) == tickets
    csv_path = write_csv(tmp_path / "p.csv", [to_csv_row(t) for t in tickets])
    assert list(read_ticket_file(csv_path)) == tickets
