"""Digest renderers: the sections and numbers of the sample week, escaping, and the
filter JSON a reader copies into ListTickets."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from digest_sample import (
    ACTIVATION,
    END,
    LOGISTICS,
    PACKAGING,
    REFUND,
    START,
    TZ,
    WEEK,
    sample_digest,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketminer.digest import charts
from ticketminer.digest import formatting as fmt
from ticketminer.digest.filter_text import filter_json
from ticketminer.digest.html import render_html
from ticketminer.digest.markdown import esc, render_markdown
from ticketminer.domain.anomalies import AnomalyStatus, Severity
from ticketminer.domain.digest import Better, DayVolume, Kpi
from ticketminer.domain.filters import Cohort, FcrVariant, TicketFilter
from ticketminer.domain.model import TicketStatus

TICKET_URL = "https://desk.example/t/{external_id}"
NASTY = "<b>x</b>&"
HTML_TAGS = frozenset(
    re.findall(
        r"\w+",
        """html head meta title style body main header section footer div span p h1 h2 h3
        table thead tbody tr th td ul li dl dt dd article code pre details summary a wbr
        svg g rect line text path polyline polygon circle""",
    )
)


# --- Markdown ----------------------------------------------------------------------


def test_markdown_has_every_section_and_the_sample_numbers() -> None:
    digest = sample_digest()
    md = render_markdown(digest)
    assert md.startswith("# Weekly digest — shop — 2026-W46\n")
    assert "Mon 9 Nov – Sun 15 Nov 2026 · Asia/Shanghai" in md
    for title in fmt.TITLES.values():
        assert f"\n## {title}\n" in md
    assert "| Volume | 1,284 | 1,131 | +14 % | ▲ | 1,284 |" in md
    # −2.2 pp on about 1,000 solved tickets is |z| 1.1: shown, but not called a regression.
    assert "| First-contact resolution | 71.2 % | 73.4 % | −2.2 pp | ▼ | 1,020 |" in md
    assert "| First response, median | 31 min | 41 min | −24 % | ▼ improved |" in md
    assert "| CSAT | 4.06 | 4.20 | −0.14 | ▼ | 357 |" in md
    assert "| Tue 10 Nov | 231 | 176 | +31 % |" in md
    top = digest.top_issues[0]
    row = f"| 1 | {LOGISTICS} | 312 | +55 % | 24.3 % | 47.9 % | 38 min | "
    assert row + fmt.text_sparkline(top.weekly_volumes) + " |" in md
    assert REFUND in md
    assert "carrier=SF ∧ region=华南 | 78.0 % | 4.6× | 66.0 %" in md
    assert "observed 38 vs expected 14 (+181 %), 184 tickets" in md
    assert "Tue 10 Nov 09:00 → ongoing" in md  # local time, not UTC 01:00
    assert "Thu 12 Nov 14:00 → Fri 13 Nov 20:00 (resolved)" in md
    for kind in ("New", "Emerging", "Split", "Merged", "Retired"):
        assert f"- **{kind}** · " in md
    assert "split from “退款 进度 查询”" in md
    assert "**Regressions**" in md and "**Improvements**" in md
    assert "| region=华南 | CSAT | 3.62 | 4.18 | −0.56 | 88 |" in md
    assert "顺丰说华南仓库爆仓" in md and "still haven't received my refund" in md


def test_markdown_customer_sections_rank_new_customer_issues_praise_and_minefields() -> None:
    md = render_markdown(sample_digest(), TICKET_URL)
    new = _section_text(md, "New customers")
    assert new.startswith(
        "152 of the 1,102 tickets with a customer_since (13.8 %) came from customers in "
        "their first 30 days."
    )
    assert f"| {ACTIVATION} | Issue | 41 | 27.0 % | 0.9 % | 28.5× | 40.0 % | 25 min | " in new
    assert "[T-230511](<https://desk.example/t/T-230511>)" in new
    praise = _section_text(md, "What customers praise")
    assert praise.startswith("310 of the 1,284 tickets (24.1 %) carried praise")
    assert f"| {PACKAGING} | Issue | 44 | 40 | 90.9 % | 3.8× | " in praise
    assert "| 礼盒 | Word | 31 | 29 | 93.5 % | 3.9× | " in praise
    assert "| packaging | Word | 22 | 19 | 86.4 % | 3.6× | " in praise
    mines = _section_text(md, "Minefields")
    assert "171 of the 1,284 tickets (13.3 %) ran into trouble (CSAT 1-2 or a reopen)" in mines
    assert f"| {REFUND} | Issue | 140 | 49 | 35.0 % | 2.6× | " in mines
    assert "p \\< 0.01" in mines  # the gates, escaped for Markdown
    _assert_tables_have_even_rows(md)


def test_customer_sections_say_when_nothing_stood_out() -> None:
    digest = sample_digest()
    quiet = replace(
        digest,
        customers=replace(
            digest.customers, new_customer_issues=(), praise=(), minefields=(), with_tenure=0
        ),
    )
    md = render_markdown(quiet)
    assert "No ticket this week carried customer_since, so tenure is unknown." in md
    assert "Nothing went with praise strongly enough to stand out." in md
    assert "Nothing went with trouble strongly enough to stand out." in md
    page = render_html(quiet)
    assert "Nothing went with praise strongly enough to stand out." in page
    assert 'class="rate-bars"' not in page
    # Without insights (a service that has none) the sections are left out.
    bare = replace(digest, customers=None)
    assert "## New customers" not in render_markdown(bare)
    assert 'id="praise"' not in render_html(bare)


def _section_text(md: str, title: str) -> str:
    start = md.index(f"\n## {title}\n") + len(title) + 5
    return md[start : md.index("\n## ", start)].strip()


def test_markdown_drill_down_gives_filter_json_for_week_issues_and_anomalies() -> None:
    digest = sample_digest()
    md = render_markdown(digest)
    assert f"`{filter_json(digest.drill_down)}`" in md
    for issue in digest.top_issues:
        assert f"`{filter_json(issue.drill_down)}`" in md
    assert '`{"anomaly_id":"17"}`' in md and '`{"anomaly_id":"18"}`' in md
    assert "ticketminer.v1.TicketMiner/ListTickets" in md


def test_markdown_links_tickets_only_with_a_template() -> None:
    digest = sample_digest()
    linked = render_markdown(digest, TICKET_URL)
    assert "[T-230114](<https://desk.example/t/T-230114>)" in linked
    plain = render_markdown(digest)
    assert "https://desk.example" not in plain and "`T-230114`" in plain
    assert "](" not in render_markdown(digest, "https://desk.example/no-slot")


def test_markdown_escapes_table_pipes_and_markup_in_user_text() -> None:
    digest = sample_digest()
    issue = replace(digest.top_issues[0], label="a|b <script> *x*")
    md = render_markdown(replace(digest, top_issues=(issue, *digest.top_issues[1:])))
    assert r"a\|b \<script\> \*x\*" in md
    assert "\\<order_no\\>" in md  # a masked snippet is shown, not taken for HTML
    _assert_tables_have_even_rows(md)


def test_empty_week_says_so_and_still_shows_kpis() -> None:
    md = render_markdown(sample_digest(empty=True))
    assert "No tickets were created in this week." in md
    assert "| Volume | 0 | 1,131 | −100 % | ▼ |" in md
    assert "| First-contact resolution | — | 73.4 % | — |  |" in md
    assert "## Top issues" not in md and "## Anomalies" not in md
    assert "## New customers" not in md and "## Minefields" not in md
    assert "- **Retired** · 双十一 预售 定金" in md  # the one non-empty section stays
    assert "## Drill-down" in md
    html = render_html(sample_digest(empty=True))
    assert "No tickets were created in this week." in html
    assert html.count('class="kpi-tile') == len(sample_digest().kpis)
    assert 'class="sparkline"' not in html and "no comparison" in html


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)(?:\\\\)*\|", line))


def _assert_tables_have_even_rows(md: str) -> None:
    """Every row of a table has the header's number of cells: nothing split a row."""
    width = None
    for line in md.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        if width is None:
            width = _unescaped_pipes(line)
        assert _unescaped_pipes(line) == width, line


# --- HTML --------------------------------------------------------------------------


def test_html_is_one_self_contained_page() -> None:
    page = render_html(sample_digest())
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page and '<meta charset="utf-8">' in page
    lowered = page.lower()
    for banned in ("<script", "<link", "<iframe", "<img", "src=", "url(", "@import", "href="):
        assert banned not in lowered, banned
    assert '"Noto Sans CJK SC"' in page and '"WenQuanYi Micro Hei"' in page
    assert "@media print" in page


def test_html_links_only_tickets_when_a_template_is_given() -> None:
    page = render_html(sample_digest(), TICKET_URL)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("https://desk.example/t/T-") for h in hrefs)
    assert 'href="https://desk.example/t/T-230114"' in page
    assert "<script" not in page.lower() and 'src="http' not in page


def test_html_has_the_four_chart_kinds() -> None:
    digest = sample_digest()
    page = render_html(digest)
    assert page.count('class="chart-volume"') == 1
    assert page.count('class="sparkline"') == len(digest.top_issues)
    assert page.count('class="chart-timeline"') == 1
    assert page.count('class="kpi-tile') == len(digest.kpis)
    assert 'class="kpi-tile bad"' in page and 'class="kpi-tile good"' in page
    customers = digest.customers
    rows = len(customers.new_customer_issues) + len(customers.praise) + len(customers.minefields)
    assert page.count('class="rate-bars"') == rows
    for tag in re.findall(r"<svg[^>]*>", page):
        assert 'role="img"' in tag and 'aria-label="' in tag and 'viewBox="' in tag
    assert page.count("<svg") == len(re.findall(r"<svg[^>]*><title>[^<]+</title>", page))


def test_html_has_the_sample_numbers_and_marks_chinese() -> None:
    page = render_html(sample_digest())
    for text in ("1,284", "71.2 %", "−2.2 pp", "carrier=SF ∧ region=华南", REFUND, "4.6×"):
        assert text in page
    assert f'<span lang="zh">{LOGISTICS}</span>' in page
    for section in ("new-customers", "praise", "minefields"):
        assert f'<section id="{section}"><h2>' in page
    assert f'<span lang="zh">{PACKAGING}</span>' in page and "28.5×" in page
    assert 'aria-label="praise rate: 90.9 %; the week&#x27;s rate: 24.1 %"' in page
    assert "{&quot;anomaly_id&quot;:&quot;17&quot;}" in page
    assert "&lt;order_no&gt;" in page


def test_html_escapes_user_text_everywhere() -> None:
    digest = _with_text(sample_digest(), NASTY)
    page = render_html(digest, TICKET_URL)
    assert "<b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;&amp;" in page
    for chart in _svgs(page):
        ET.fromstring(chart)  # well-formed: nothing unescaped leaked into a chart


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, flags=re.S)


def _with_text(digest, text: str):
    """The digest with `text` in every field that comes from tickets or users."""
    issues = tuple(replace(i, label=text, terms=(text,)) for i in digest.top_issues)
    anomalies = tuple(
        replace(
            a,
            issue_label=text if a.issue_id else "",
            summary=text,
            root_causes=tuple(replace(rc, dims=(("k", text),)) for rc in a.root_causes),
        )
        for a in digest.anomalies
    )
    highlights = tuple(
        replace(
            h,
            label=text,
            tickets=tuple(
                replace(t, snippet=text, channel=text, external_id=text) for t in h.tickets
            ),
        )
        for h in digest.highlights
    )
    c = digest.customers
    customers = replace(
        c,
        new_bucket=text,
        new_customer_issues=tuple(
            replace(n, label=text, evidence_ticket_ids=(text,)) for n in c.new_customer_issues
        ),
        praise=tuple(replace(d, label=text, term=text) for d in c.praise),
        minefields=tuple(
            replace(d, label=text, term=text, evidence_ticket_ids=(text,)) for d in c.minefields
        ),
    )
    return replace(
        digest,
        customers=customers,
        top_issues=issues,
        anomalies=anomalies,
        highlights=highlights,
        changes=tuple(replace(c, label=text, related_label=text) for c in digest.changes),
        movers=tuple(replace(m, label=text, value=text) for m in digest.movers),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8"),
            st.sampled_from("<>&|`*_[]\\\"'\n\r\t\x00\x1b\u202e\u2028物流延迟🙂👍🏽"),
        ),
        max_size=40,
    )
)
def test_renderers_never_raise_on_any_user_text(text: str) -> None:
    digest = _with_text(sample_digest(), text)
    page = render_html(digest, TICKET_URL)
    md = render_markdown(digest, TICKET_URL)
    assert set(re.findall(r"</?([a-zA-Z][\w-]*)", page)) <= HTML_TAGS  # no tag came from text
    assert page.count("<svg") == len(_svgs(page))
    for chart in _svgs(page):
        ET.fromstring(chart)
    _assert_tables_have_even_rows(md)
    assert "\x00" not in md and "\x00" not in page
    page.encode("utf-8")
    md.encode("utf-8")


# --- filter JSON -------------------------------------------------------------------


def test_filter_json_uses_the_wire_field_and_enum_names() -> None:
    flt = TicketFilter(
        start_time=datetime(2026, 11, 9, 0, 0, tzinfo=timezone(timedelta(hours=8))),
        end_time=datetime(2026, 11, 15, 16, 0, 0, 250_000, tzinfo=UTC),
        channels=("email", "chat"),
        attributes=(("region", "华南"), ("carrier", "SF")),
        statuses=(TicketStatus.OPEN, TicketStatus.ON_HOLD),
        customer_id="c-1",
        issue_ids=(3, 0),
        cohort=Cohort.NOT_FCR,
        fcr_variant=FcrVariant.NO_CUSTOMER_FOLLOWUP,
        anomaly_id=17,
    )
    text = filter_json(flt)
    assert "\n" not in text and " " not in text and "华南" in text
    assert json.loads(text) == {
        "start_time": "2026-11-08T16:00:00Z",
        "end_time": "2026-11-15T16:00:00.250Z",
        "channels": ["email", "chat"],
        "attributes": {"carrier": "SF", "region": "华南"},
        "statuses": ["TICKET_STATUS_OPEN", "TICKET_STATUS_ON_HOLD"],
        "customer_id": "c-1",
        "cohort": "COHORT_NOT_FCR",
        "fcr_variant": "FCR_VARIANT_NO_CUSTOMER_FOLLOWUP",
        "issue_ids": ["3", ""],
        "anomaly_id": "17",
    }
    assert filter_json(TicketFilter()) == "{}"
    assert filter_json(TicketFilter(anomaly_id=18)) == '{"anomaly_id":"18"}'


def test_filter_json_parses_as_the_proto_message_and_back() -> None:
    """The JSON is what ListTickets accepts: same filter after the wire round trip."""
    from google.protobuf import json_format

    from ticketminer.api.convert import filter_from_proto
    from ticketminer.v1 import ticketminer_pb2 as pb

    flt = TicketFilter(
        start_time=START,
        end_time=END,
        channels=("email",),
        attributes=(("carrier", "SF"), ("region", "华南")),
        statuses=(TicketStatus.SOLVED,),
        customer_id="c-9",
        issue_ids=(3, 0),
        cohort=Cohort.FCR,
        fcr_variant=FcrVariant.ONE_TOUCH,
        anomaly_id=17,
    )
    msg = json_format.Parse(filter_json(flt), pb.TicketFilter())
    assert filter_from_proto(msg) == flt
    for item in sample_digest().top_issues:
        parsed = json_format.Parse(filter_json(item.drill_down), pb.TicketFilter())
        assert filter_from_proto(parsed) == item.drill_down


# --- formatting and charts ----------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (float("nan"), "—"), (0, "0 s"), (45, "45 s"), (720, "12 min"),
     (11_520, "3.2 h"), (181_440, "2.1 d"), (59.7, "1 min"), (3599, "1.0 h")],
)  # fmt: skip
def test_durations_read_in_the_unit_a_person_thinks_in(seconds, text) -> None:
    assert fmt.duration(seconds) == text


def test_numbers_and_deltas() -> None:
    assert fmt.percent(0.834) == "83.4 %" and fmt.percent(None) == fmt.DASH
    assert fmt.count(1284) == "1,284" and fmt.count(None) == fmt.DASH
    assert fmt.delta(0.712, 0.691, "ratio") == "+2.1 pp"
    assert fmt.delta(112, 100, "tickets") == "+12 %"
    assert fmt.delta(1800, 2400, "seconds") == "−25 %"
    assert fmt.delta(4.36, 4.21, "score") == "+0.15"
    assert fmt.delta(5, 0, "tickets") == "new" and fmt.delta(0, 0, "tickets") == "±0 %"
    assert fmt.delta(None, 3, "ratio") == fmt.DASH and fmt.delta(1, None, "seconds") == fmt.DASH
    assert fmt.delta(float("inf"), 1, "tickets") == fmt.DASH
    assert fmt.relative(0.004) == "+0.4 %" and fmt.relative(-0.0001) == "±0 %"
    assert fmt.value(None, "score") == fmt.DASH and fmt.value(4.2, "score") == "4.20"
    assert fmt.arrow(None, 1) == "" and fmt.arrow(2, 1) == "▲" and fmt.arrow(1, 1) == "→"


def test_kpi_with_missing_values_renders_dashes() -> None:
    kpi = Kpi("first_response_p50", None, None, "seconds", Better.DOWN, 0, WEEK)
    digest = replace(sample_digest(), kpis=(kpi,))
    md = render_markdown(digest)
    assert "| First response, median | — | — | — |  | 0 |" in md
    assert "no comparison" in render_html(digest)


def test_names_dims_and_local_time() -> None:
    assert fmt.dims_text((("carrier", "SF"), ("region", "华南"))) == "carrier=SF ∧ region=华南"
    assert fmt.severity_name(Severity.CRITICAL) == "Critical"
    assert fmt.kind_name(sample_digest().anomalies[1].kind) == "KPI degradation"
    assert fmt.metric_name("some_new_metric") == "Some new metric"
    assert fmt.status_name(AnomalyStatus.ONGOING) == "ongoing"
    assert fmt.local_time(datetime(2026, 11, 10, 1, 0, tzinfo=UTC), TZ) == "Tue 10 Nov 09:00"
    new_year = datetime(2026, 12, 27, 16, tzinfo=UTC)
    text = fmt.week_range(new_year, new_year + timedelta(days=7), TZ)
    assert text == "Mon 28 Dec 2026 – Sun 3 Jan 2027"
    assert fmt.week_range(START, END, TZ) == "Mon 9 Nov – Sun 15 Nov 2026"


def test_text_helpers() -> None:
    assert fmt.text_sparkline([0, 0, 0]) == "▁▁▁" and fmt.text_sparkline([]) == ""
    assert fmt.text_sparkline([1, 8]) == "▂█"
    assert fmt.clean("a\nb\x00\tc\u202e d") == "a b c d"
    assert fmt.truncate("物流延迟快递顺丰", 9) == "物流延迟…"
    assert fmt.ticket_link(TICKET_URL, "a b/c") == "https://desk.example/t/a%20b%2Fc"
    assert fmt.ticket_link("https://desk.example/", "x") == ""
    assert esc("a|b_ c *d* <e>") == r"a\|b\_ c \*d\* \<e\>"
    assert esc("order_no Q&A &amp;") == r"order_no Q&A \&amp;"


def test_charts_handle_empty_and_zero_inputs() -> None:
    zero_days = tuple(
        DayVolume(date(2026, 11, 9) + timedelta(days=i), 0, 0, WEEK) for i in range(7)
    )
    for svg in (
        charts.volume_bars(zero_days),
        charts.volume_bars(()),
        charts.sparkline([]),
        charts.sparkline([0] * 8),
        charts.sparkline([5]),
        charts.anomaly_timeline((), START, END, TZ),
        charts.delta_arrow(0, "neutral", "no change"),
    ):
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.get("aria-label") and root.get("viewBox")
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
    assert "No anomaly" in charts.anomaly_timeline((), START, END, TZ)


def test_timeline_clips_anomalies_to_the_week() -> None:
    surge = sample_digest().anomalies[0]
    long = replace(surge, start=START - timedelta(days=3), end=END + timedelta(days=2))
    svg = charts.anomaly_timeline((long,), START, END, TZ)
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in ET.fromstring(svg).iter(f"{ns}rect") if r.get("rx") == "4"]
    assert len(bars) == 1
    x, width = float(bars[0].get("x")), float(bars[0].get("width"))
    assert x == pytest.approx(270) and x + width == pytest.approx(900 - 16)
    assert "continues past the week" in svg


def test_sample_digest_is_consistent() -> None:
    digest = sample_digest()
    assert sum(d.volume for d in digest.days) == digest.current.volume
    assert sum(d.previous_volume for d in digest.days) == digest.previous.volume
    assert all(i.weekly_volumes[-1] == i.volume for i in digest.top_issues)
    assert len(digest.top_issues) == 5 and len(digest.anomalies) == 2
    assert {c.kind for c in digest.changes} == set(type(digest.changes[0].kind))
