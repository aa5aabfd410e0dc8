"""`ticketminer import` as a new user meets it: bad rows, wrong files, missing flags,
and the wire formats agreeing on status words."""

from __future__ import annotations

import json
from datetime import datetime

from databases import fresh_db
from hypothesis import given
from hypothesis import strategies as st
from import_helpers import EXPORTS, opened, run_cli

from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.model import TicketStatus
from ticketminer.importers import values

BAD_ROWS = str(EXPORTS / "zendesk_bad_rows.csv")


def test_bad_rows_exit_1_with_row_field_reason_and_good_rows_stored(tmp_path, capsys):
    db = fresh_db(tmp_path, "bad")
    code, out, err = run_cli(capsys, BAD_ROWS, "--db", db, "--tz", "Europe/Berlin")
    assert code == 1
    assert "created 2" in out and "rejected 3" in out
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("row ")]
    assert lines == [
        "row 2: Satisfaction Score: unknown satisfaction rating 'Meh': use 1-5, Good or Bad",
        "row 3: Created at: 'yesterday' is not a time (YYYY-MM-DD HH:MM[:SS] or RFC 3339)",
        "row 5: solved_at: must not be before created_at",
    ]
    assert "Traceback" not in out + err and "strptime" not in out + err
    with opened(db) as app:
        page = app.tickets.list("default", TicketFilter())
        assert sorted(s.ticket.external_id for s in page.tickets) == ["2001", "2004"]


def test_dry_run_reports_the_same_rejects_and_exit_status(tmp_path, capsys):
    db = fresh_db(tmp_path, "dry")
    code, out, _ = run_cli(capsys, BAD_ROWS, "--db", db, "--tz", "Europe/Berlin", "--dry-run")
    assert code == 1
    assert "2 tickets would be imported, 3 rejected; nothing was stored" in out
    assert "row 5: solved_at: must not be before created_at" in out


def test_file_and_usage_errors_are_one_line_and_exit_2(tmp_path, capsys):
    db = fresh_db(tmp_path, "err")
    zendesk = str(EXPORTS / "zendesk_tickets.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    cases = {
        (str(tmp_path / "missing.csv"),): "no such file",
        (zendesk,): "without a UTC offset: pass --tz",
        (zendesk, "--tz", "Nowhere/City"): "is not an IANA time zone",
        (zendesk, "--format", "freshdesk-csv", "--tz", "UTC"): "no 'Ticket ID' column",
        (zendesk, "--format", "csv"): "use --format zendesk-csv",
        (zendesk, "--tz", "UTC", "--field-map", "Via"): "is not Column=target",
        (zendesk, "--tz", "UTC", "--field-map", "Via=nowhere"): "unknown field-map target",
        (str(empty), "--format", "zendesk-csv"): "the file is empty",
    }
    for argv, message in cases.items():
        code, _, err = run_cli(capsys, *argv, "--db", db)
        assert code == 2, argv
        assert message in err and len(err.strip().splitlines()) == 1, (argv, err)
        assert "Traceback" not in err
    with opened(db) as app:
        assert app.tickets.list("default", TicketFilter()).total_size == 0


def test_jsonl_and_csv_accept_the_same_status_words(tmp_path, capsys):
    words = ["solved", "Solved", "TICKET_STATUS_SOLVED", "on-hold", "Pending"]
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(
        "\n".join(
            json.dumps({"externalId": f"J{i}", "createdAt": "2026-03-02T09:00:00Z", "status": w})
            for i, w in enumerate(words)
        )
    )
    csv_path = tmp_path / "t.csv"
    csv_path.write_text(
        "external_id,created_at,status\n"
        + "".join(f"J{i},2026-03-02T09:00:00Z,{w}\n" for i, w in enumerate(words))
    )
    expected = [TicketStatus.SOLVED] * 3 + [TicketStatus.ON_HOLD, TicketStatus.PENDING]
    for path in (jsonl, csv_path):
        db = fresh_db(tmp_path, path.suffix[1:])
        code, out, _ = run_cli(capsys, str(path), "--db", db)
        assert code == 0, out
        with opened(db) as app:
            got = [app.tickets.get("default", f"J{i}").ticket.status for i in range(5)]
        assert got == expected, path


def test_jsonl_unknown_status_names_the_field(tmp_path, capsys):
    path = tmp_path / "t.jsonl"
    path.write_text(
        json.dumps({"externalId": "J", "createdAt": "2026-03-02T09:00:00Z", "status": "meh"})
    )
    code, out, _ = run_cli(capsys, str(path), "--db", fresh_db(tmp_path, "u"))
    assert code == 1
    assert "row 1: status: unknown status 'meh'" in out


def _is(kind: type | tuple[type, ...], result: object) -> bool:
    return result is None or isinstance(result, values.Invalid | kind)


@given(st.text(max_size=60) | st.from_regex(r"\s*[0-9:.\-+ TZ]{1,30}\s*", fullmatch=True))
def test_value_mappers_never_raise(text):
    utc = values.timestamp("2026-01-01T00:00:00Z", None).tzinfo
    assert _is(TicketStatus, values.status(text))
    assert _is(int, values.csat(text))
    assert _is(int, values.count(text))
    for duration in (values.minutes(text), values.hours(text), values.seconds(text)):
        assert _is(float, duration)
        assert isinstance(duration, values.Invalid | None) or 0 <= duration < float("inf")
    for zone in (None, utc):
        moment = values.timestamp(text, zone)
        assert _is(datetime, moment)
        assert not isinstance(moment, datetime) or moment.tzinfo is not None
    assert all(tag and " " not in tag for tag in values.split_tags(text, " ,"))


def test_csat_words_map_to_the_scale():
    words = {"Good": 5, " good ": 5, "BAD": 1, "4": 4, "Offered": None, "Unoffered": None}
    words |= {"Extremely Happy": 5, "Just Okay": 3, "Not Good": 1, "satisfied": 4, "": None}
    assert {word: values.csat(word) for word in words} == words
    assert isinstance(values.csat("0"), values.Invalid)
    assert isinstance(values.csat("Meh"), values.Invalid)


def test_unreadable_bytes_and_short_rows_are_row_errors(tmp_path, capsys):
    header = "Id,Created at,Status,Replies\n"
    path = tmp_path / "broken.csv"
    path.write_bytes(  # a short row, bad bytes, a cell past csv's size limit
        (header + "1,2026-03-02 09:00,Solved,1\n2,2026-03-02 09:00\n").encode()
        + b"3,2026-03-02 09:00,Open,\xff\xfe\n"
        + b'4,2026-03-02 09:00,Open,"'
        + b"x" * 200_000
        + b'"\n'
    )
    db = fresh_db(tmp_path, "broken")
    code, out, err = run_cli(
        capsys, str(path), "--db", db, "--tz", "UTC", "--format", "zendesk-csv"
    )
    assert code == 1, out + err
    assert "row 2: row: has 2 cells; the header has 4" in out
    assert "row 3: row: is not valid UTF-8 text" in out
    assert "row 4: row: cannot be read, and neither can the rest" in out
    with opened(db) as app:
        assert app.tickets.get("default", "1").analysis.public_agent_replies == 1


def test_field_map_can_supply_the_id_column(tmp_path, capsys):
    path = tmp_path / "renamed.csv"
    path.write_text("Number,Created at,Status\nN-1,2026-03-02 09:00,solved\nN-2,,open\n")
    db = fresh_db(tmp_path, "renamed")
    argv = (str(path), "--db", db, "--tz", "UTC", "--format", "zendesk-csv")
    code, out, _ = run_cli(capsys, *argv, "--field-map", "Number=external_id")
    assert code == 1
    assert "row 2: Created at: is required" in out
    with opened(db) as app:
        assert app.tickets.get("default", "N-1").ticket.status == TicketStatus.SOLVED
