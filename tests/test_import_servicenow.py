"""ServiceNow incident log importer: column mapping on a synthetic file, and the
reference figures of ../shared/data/README.md on the real log."""

from __future__ import annotations

import statistics
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from databases import fresh_db

from ticketminer.domain.model import Ticket, TicketStatus
from ticketminer.domain.validation import validate_ticket
from ticketminer.importers.servicenow import parse_time, read_servicenow
from ticketminer.metrics.ticket_facts import analyse

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "servicenow_incident_log"
ZIP = DATA / "incident_event_log.zip"

# The real header, with its renamed `ident_state` and duplicated `category`.
HEADER = (
    "number,ident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "caller_id,opened_by,opened_at,sys_created_by,sys_created_at,sys_updated_by,"
    "sys_updated_at,contact_type,location,category,category,u_symptom,cmdb_ci,impact,"
    "urgency,priority,assignment_group,assigned_to,knowledge,u_priority_confirmation,"
    "notify,problem_id,rfc,vendor,caused_by,closed_code,resolved_by,resolved_at,closed_at"
)
COLUMNS = HEADER.split(",")
COLUMNS[17] = "subcategory"  # what the second `category` really holds


def row(number: str, state: str, mod: int, updated: str, **overrides: str) -> str:
    cells = dict.fromkeys(COLUMNS, "?")
    cells.update(
        number=number,
        ident_state=state,
        active="true",
        reassignment_count="1",
        reopen_count="0",
        sys_mod_count=str(mod),
        made_sla="true",
        caller_id="2403",
        opened_by="8",
        opened_at="29/2/2016 01:16",
        sys_updated_at=updated,
        contact_type="Self service",
        location="143",
        impact="2",
        urgency="2",
        priority="3",
        knowledge="false",
        category="55",
        subcategory="170",
    )
    cells.update(overrides)
    return ",".join(cells.values())


@pytest.fixture
def synthetic_csv(tmp_path: Path) -> Path:
    lines = [
        HEADER,
        row("0000045", "New", 0, "29/2/2016 01:23"),
        row("0000045", "Resolved", 3, "29/2/2016 11:29", resolved_at="29/2/2016 11:29"),
        row("0000045", "Active", 2, "29/2/2016 08:53"),  # out of order: lower count loses
        row("0000046", "New", 1, "1/3/2016 09:00", u_symptom="72"),
        # Same sys_mod_count as the row above: the later row wins.
        row("0000046", "Awaiting User Info", 1, "1/3/2016 10:00", caller_id="?", vendor="V1"),
        row(
            "0000047",
            "Closed",
            5,
            "12/3/2016 10:00",
            reopen_count="2",
            resolved_at="31/12/2015 23:59",  # before opened_at
            assigned_to="17",
            closed_code="6",
            resolved_by="149",
        ),
        row("0000048", "Awaiting Vendor", 1, "1/3/2016 10:00"),
        row("0000049", "-100", 1, "1/3/2016 10:00"),
    ]
    path = tmp_path / "incident_event_log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_parse_time_is_day_first_utc_and_question_mark_is_missing() -> None:
    assert parse_time("5/3/2016 12:07") == datetime(2016, 3, 5, 12, 7, tzinfo=UTC)
    assert parse_time("?") is None
    with pytest.raises(ValueError):
        parse_time("2016-03-05 12:07")


def test_column_mapping(synthetic_csv: Path) -> None:
    tickets = {t.external_id: t for t in read_servicenow(synthetic_csv)}
    assert list(tickets) == ["0000045", "0000046", "0000047", "0000048", "0000049"]

    first = tickets["0000045"]
    assert first == Ticket(
        tenant_id="servicenow",
        external_id="0000045",
        created_at=datetime(2016, 2, 29, 1, 16, tzinfo=UTC),
        updated_at=datetime(2016, 2, 29, 11, 29, tzinfo=UTC),
        channel="self service",
        status=TicketStatus.SOLVED,
        solved_at=datetime(2016, 2, 29, 11, 29, tzinfo=UTC),
        reopen_count=0,
        customer_id="2403",
        attributes={
            "category": "55",
            "subcategory": "170",
            "location": "143",
            "impact": "2",
            "urgency": "2",
            "priority": "3",
            "reassignment_count": "1",
            "made_sla": "true",
            "knowledge": "false",
            "opened_by": "8",
        },
    )

    tied = tickets["0000046"]  # equal sys_mod_count: the later row wins
    assert tied.status == TicketStatus.PENDING
    assert tied.customer_id == ""
    assert tied.attributes["vendor"] == "V1"
    assert "symptom" not in tied.attributes  # '?' in the winning row
    assert tied.solved_at is None

    odd = tickets["0000047"]
    assert odd.status == TicketStatus.CLOSED
    assert odd.reopen_count == 2
    assert odd.solved_at is None  # resolved before opened: dropped, raw value kept
    assert odd.attributes["resolved_at_raw"] == "31/12/2015 23:59"
    assert {k: odd.attributes[k] for k in ("assigned_to", "closed_code", "resolved_by")} == {
        "assigned_to": "17",
        "closed_code": "6",
        "resolved_by": "149",
    }
    assert tickets["0000048"].status == TicketStatus.ON_HOLD
    assert tickets["0000049"].status == TicketStatus.UNSPECIFIED
    assert all(validate_ticket(t) == [] for t in tickets.values())


def test_zip_folder_and_tenant(synthetic_csv: Path, tmp_path: Path) -> None:
    archive = tmp_path / "zipped" / "incident_event_log.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(synthetic_csv, "incident_event_log/incident_event_log.csv")
    expected = list(read_servicenow(synthetic_csv, tenant_id="it"))
    assert list(read_servicenow(archive, tenant_id="it")) == expected
    assert list(read_servicenow(archive.parent, tenant_id="it")) == expected
    assert list(read_servicenow(tmp_path, tenant_id="it")) == expected  # the csv's folder
    assert {t.tenant_id for t in expected} == {"it"}


def test_wrong_files_fail_loudly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(read_servicenow(tmp_path))
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a ServiceNow"):
        list(read_servicenow(other))
    short = tmp_path / "short.csv"
    short.write_text(HEADER + "\n0000045,New\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        list(read_servicenow(short))


@pytest.mark.data
def test_real_log_reproduces_the_reference_figures() -> None:
    if not ZIP.is_file():
        pytest.skip(f"ServiceNow incident log not found at {ZIP} (../shared/data is absent)")
    start = time.perf_counter()
    tickets = list(read_servicenow(ZIP))
    elapsed = time.perf_counter() - start
    assert len(tickets) == 24_918
    assert len({t.external_id for t in tickets}) == 24_918

    rejected = {t.external_id: v for t in tickets if (v := validate_ticket(t))}
    stored = [t for t in tickets if t.external_id not in rejected]
    print(
        f"\nServiceNow: {len(tickets)} tickets in {elapsed:.2f} s "
        f"({len(tickets) / elapsed:,.0f} tickets/s); validate_ticket rejects {len(rejected)}"
    )
    assert rejected == {}
    assert not any("resolved_at_raw" in t.attributes for t in stored)

    untouched = sum(
        t.attributes["reassignment_count"] == "0" and t.reopen_count == 0 for t in stored
    )
    assert round(100 * untouched / len(stored), 1) == 54.1

    resolutions = [s for s in (analyse(t).resolution_seconds for t in stored) if s is not None]
    assert len(resolutions) == 24_918 - 1_556  # closed without a resolved_at
    assert round(statistics.median(resolutions) / 3600, 1) == 22.1

    made_sla = sum(t.attributes["made_sla"] == "true" for t in stored)
    assert round(100 * made_sla / len(stored), 1) == 63.4


@pytest.mark.data
def test_reference_figures_through_the_import_command_and_get_metrics(tmp_path: Path) -> None:
    """The same figures, read back from the service as a user would get them."""
    if not ZIP.exists():
        pytest.skip(f"ServiceNow log not found at {ZIP}; CI provides ../shared/data")
    from ticketminer.app import App
    from ticketminer.cli import main
    from ticketminer.config import Settings
    from ticketminer.domain.filters import Cohort, MetricsQuery, TicketFilter

    db = fresh_db(tmp_path, "sn")
    assert main(["import", str(ZIP), "--format", "servicenow", "--db", db, "--no-progress"]) == 0
    app = App.open(Settings(db_url=db))
    try:
        overall = app.metrics.get_metrics(MetricsQuery("servicenow")).overall
        assert overall.volume == 24_918
        assert round(overall.resolution_time.p50_seconds / 3600, 1) == 22.1
        no_reassign = TicketFilter(attributes=(("reassignment_count", "0"),))
        touched_once = app.metrics.get_metrics(MetricsQuery("servicenow", no_reassign))
        reopened = app.tickets.list(
            "servicenow", TicketFilter(attributes=no_reassign.attributes, cohort=Cohort.REOPENED)
        )
        share = (touched_once.overall.volume - reopened.total_size) / overall.volume
        assert round(share * 100, 1) == 54.1
        made_sla = TicketFilter(attributes=(("made_sla", "true"),))
        sla = app.metrics.get_metrics(MetricsQuery("servicenow", made_sla)).overall.volume
        assert round(sla / overall.volume * 100, 1) == 63.4
    finally:
        app.close()
