"""The shared value readers (importers.values) and JSON record readers
(importers.json_records) that every importer, the sync clients and the webhooks use:
the rules each of them used to keep apart, tested once here."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ticketminer.domain.model import Ticket, TicketStatus
from ticketminer.importers import values
from ticketminer.importers.freshdesk_api import freshdesk_ticket
from ticketminer.importers.json_records import NotJson, decode, json_lines, json_records
from ticketminer.importers.records import RowError
from ticketminer.importers.zendesk_api import zendesk_ticket
from ticketminer.webhooks.freshdesk import ticket_event as freshdesk_event

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _invalid(value: object) -> bool:
    return isinstance(value, values.Invalid)


# --- times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-02T08:00:00Z",
        "2026-03-02T09:00:00+01:00",
        "2026-03-02 09:00:00 +0100",  # a space before the offset
        "2026-03-02 08:00:00 UTC",  # Chatwoot's webhook sample
        "2026-03-02 09:00",  # naive: in the zone given
        1772438400,  # unix seconds, as Chatwoot writes them
        "1772438400",
        1772438400.0,
    ],
)
def test_moment_reads_every_vendor_spelling_of_one_time(value) -> None:
    assert values.moment(value, BERLIN) == T0


@pytest.mark.parametrize(
    "value", [True, "soon", [], {}, -1, float("nan"), 10**13, "99999999999999999999", "0001-01-01"]
)
def test_moment_refuses_what_is_no_time_in_range(value) -> None:
    assert _invalid(values.moment(value, UTC))


def test_absent_times_are_none_and_naive_ones_need_a_zone_in_a_csv() -> None:
    assert values.moment(None, UTC) is None and values.moment("", UTC) is None
    refused = values.timestamp("2026-03-02 09:00", None)
    assert _invalid(refused) and values.NO_OFFSET in refused.reason
    assert "--tz" in refused.reason
    wire = values.timestamp("2026-03-02 09:00", None, no_zone="RFC 3339 needs one")
    assert "--tz" not in wire.reason


def test_zone_names() -> None:
    assert values.zone("Europe/Berlin") == BERLIN
    assert values.zone("") is UTC and values.zone(None) is UTC
    assert values.zone("", default=None) is None
    fixed = timezone(timedelta(hours=2))
    assert values.zone(fixed) is fixed
    for bad in ("Mars/Olympus", "Europe", "../etc", "a\x00b"):
        with pytest.raises(ValueError, match=r"unknown time zone .* is not an IANA time zone"):
            values.zone(bad)


def test_seconds_between_ignores_an_end_before_the_start() -> None:
    assert values.seconds_between(T0, T0 + timedelta(minutes=5)) == 300
    assert values.seconds_between(T0, T0 - timedelta(minutes=5)) is None
    assert values.seconds_between(None, T0) is None


# --- words --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("hold", TicketStatus.ON_HOLD),  # Zendesk
        ("on-hold", TicketStatus.ON_HOLD),
        ("Resolved", TicketStatus.SOLVED),  # Freshdesk
        ("Waiting on Customer", TicketStatus.PENDING),
        ("Waiting on Finance", TicketStatus.ON_HOLD),
        ("pending reminder", TicketStatus.PENDING),  # Zammad
        ("merged", TicketStatus.CLOSED),
        ("snoozed", TicketStatus.ON_HOLD),  # Chatwoot
        ("TICKET_STATUS_SOLVED", TicketStatus.SOLVED),
    ],
)
def test_status_words_of_every_vendor(word, status) -> None:
    assert values.status_word(word) == status == values.status(word)


def test_status_numbers_are_the_wire_enum_only_in_text_files() -> None:
    assert values.status("3") == TicketStatus.PENDING
    assert _invalid(values.status("42")) and _invalid(values.status("9" * 50))
    assert _invalid(values.status_word("3"))  # a vendor's JSON: "3" is no word
    assert _invalid(values.status_word(3))
    assert values.status_word(None) is None and values.status_word(" ") is None
    assert "unknown status 'weird'" in values.status_word("weird").reason


def test_csat_words_from_json() -> None:
    assert values.csat("good") == 5 and values.csat("bad_with_comment") == 1
    assert values.csat("offered") is None and values.csat(None) is None
    assert _invalid(values.csat(5.5)) and _invalid(values.csat("meh"))


# --- counts, text, tags, attributes -------------------------------------------------


def test_counts_from_text_and_json() -> None:
    assert [values.count(x) for x in ("3", " 3.0 ", 3, 3.0, None, "")] == [3, 3, 3, 3, None, None]
    for bad in (True, -1, "-1", 2.5, "x", 2**40, "9" * 30, [], float("inf")):
        assert _invalid(values.count(bad)), bad
    assert values.count(2**32 - 1, most=2**32 - 1) == 2**32 - 1


def test_text_refuses_what_the_database_cannot_hold() -> None:
    assert values.text(12) == "12" and values.text("a") == "a"
    assert values.text(None) is None and values.text("") is None
    assert _invalid(values.text("\ud800")) and _invalid(values.text({"id": 1}))
    assert _invalid(values.text(True))


def test_attribute_text_and_tags() -> None:
    assert values.attribute_text(True) == "true" and values.attribute_text(7) == "7"
    assert values.attribute_text(["a", None, 2]) == "a|2"
    assert values.attribute_text({"nested": 1}) is None and values.attribute_text([]) is None
    assert _invalid(values.attribute_text(["\udc80"]))
    assert values.tags([" a", "b", "a", ""]) == ["a", "b"]
    assert values.tags("a, b,,a") == ["a", "b"]
    assert values.tags("vip late", " ") == ["vip", "late"]
    assert values.tags(None) is None and values.tags([]) is None
    assert _invalid(values.tags({"a": 1})) and _invalid(values.tags([{"a": 1}]))


# --- JSON and JSONL files -----------------------------------------------------------


def test_decode_explains_every_way_bytes_are_no_json() -> None:
    assert decode(b"\xef\xbb\xbf[1]") == [1]  # a BOM is fine
    with pytest.raises(NotJson, match="is not valid UTF-8"):
        decode(b'{"a": "\xff"}')
    with pytest.raises(NotJson, match="is not valid JSON"):
        decode(b"{nope")
    with pytest.raises(NotJson, match="is not valid JSON"):
        decode(b"[" * 100_000)  # deeper than the parser recurses: no RecursionError
    with pytest.raises(NotJson, match="duplicate key 'a'"):
        decode(b'{"a": 1, "a": 2}', unique_keys=True)
    assert decode(b'{"a": 1, "a": 2}') == {"a": 2}


def test_json_lines_cost_one_record_per_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"id": 1}\n\n{bad\n\xff\n{"id": 2}\n')
    got = list(json_lines(path))
    assert got[0] == {"id": 1} and got[3] == {"id": 2}
    assert [(e.index, e.violations[0].field) for e in got[1:3]] == [(1, "line"), (2, "line")]


@pytest.mark.parametrize(
    ("text", "envelope", "ids"),
    [
        ('{"tickets": [{"id": 1}, {"id": 2}], "users": []}', {"users": []}, [1, 2]),
        ('[{"id": 1}, {"id": 2}]', {}, [1, 2]),
        ('{"id": 1, "subject": "one"}', {}, [1]),
        ('{"id": 1}\n{"id": 2}\n', {}, [1, 2]),
        ('{\n  "tickets": [{"id": 1}]\n}\n', {"tickets": [{"id": 1}]}, [1]),
    ],
)
def test_json_records_reads_every_saved_shape(tmp_path: Path, text, envelope, ids) -> None:
    path = tmp_path / "t.json"
    path.write_text(text)
    found, records = json_records(path, "tickets")
    assert {k: v for k, v in found.items() if k != "tickets"} == {
        k: v for k, v in envelope.items() if k != "tickets"
    }
    assert [r["id"] for r in records] == ids


def test_json_records_names_the_file_it_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"tickets": [')
    with pytest.raises(ValueError, match=r"broken\.json: not a JSON file"):
        json_records(path, "tickets")
    path.write_text('"text"')
    with pytest.raises(ValueError, match="an array of Zammad tickets"):
        json_records(path, "tickets", what="Zammad tickets")


# --- what the shared readers made stricter ------------------------------------------


def test_api_values_the_wire_cannot_hold_are_reported_not_raised() -> None:
    """A lone surrogate or a count beyond the wire's range used to raise from the
    protobuf setter, which stopped the whole import; now they cost their record."""
    base = {"id": 1, "created_at": "2026-03-02T08:00:00Z", "status": "open"}
    surrogate = zendesk_ticket({**base, "subject": "\ud800"})
    assert isinstance(surrogate, RowError)
    assert [v.field for v in surrogate.violations] == ["subject"]
    huge = zendesk_ticket({**base, "metric_set": {"reopens": 2**40}})
    assert isinstance(huge, RowError)
    assert [v.field for v in huge.violations] == ["metric_set.reopens"]
    reply = {"id": 5, "body_text": "\udc80", "created_at": "2026-03-02T08:05:00Z"}
    note = freshdesk_ticket({**base, "status": 2, "conversations": [reply]})
    assert isinstance(note, RowError)
    assert [v.field for v in note.violations] == ["conversations[0].body_text"]


def test_freshdesk_numbers_read_the_same_in_the_api_file_and_the_webhook() -> None:
    base = {"id": 1, "created_at": "2026-03-02T08:00:00Z"}
    for code, status in ((4, TicketStatus.SOLVED), (6, TicketStatus.UNSPECIFIED)):
        imported = freshdesk_ticket({**base, "status": code})
        assert isinstance(imported, Ticket) and imported.status == status
        body = {"event": "ticket_updated", "ticket": {**base, "status": str(code)}}
        event = freshdesk_event(json.loads(json.dumps(body)), T0)
        assert event.status == status
