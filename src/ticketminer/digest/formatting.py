"""Words and numbers shared by the Markdown and HTML digests.

Everything here returns plain text; each renderer escapes it for its own format.
Keeping the wording in one place is what makes the two formats say the same thing.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote
from zoneinfo import ZoneInfo

from ticketminer.domain.anomalies import Anomaly, AnomalyKind, AnomalyStatus, Dims, Severity
from ticketminer.domain.digest import ChangeKind, IssueChange, Kpi, Mover, WeeklyDigest
from ticketminer.domain.filters import TicketFilter

DASH = "—"  # a value that does not exist (no tickets to compute it over)
MINUS = "−"
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
EVIDENCE_SHOWN = 5  # ticket ids per anomaly; the anomaly_id filter lists them all
CAUSE_EVIDENCE_SHOWN = 3

TITLES = {
    "kpis": "Key numbers",
    "days": "Tickets per day",
    "top_issues": "Top issues",
    "changes": "New and changed issues",
    "anomalies": "Anomalies",
    "movers": "Movers",
    "new_customers": "New customers",
    "praise": "What customers praise",
    "minefields": "Minefields",
    "highlights": "Highlights",
    "drill_down": "Drill-down",
}

NONE_THIS_WEEK = {
    "top_issues": "No issue had tickets this week.",
    "changes": "No issue was new, split, merged or retired this week.",
    "anomalies": "No anomaly was open this week.",
    "movers": "Nothing moved enough between the two weeks to stand out.",
    "highlights": "No sample tickets this week.",
}

EMPTY_WEEK = "No tickets were created in this week."

DRILL_DOWN_NOTE = (
    "Every number above has a filter that lists its tickets: pass it as `filter` to "
    "ListTickets. Anomalies take `anomaly_id`, which the server resolves to the "
    "anomaly's issue and window."
)

_METRIC_NAMES = {
    "volume": "Volume",
    "fcr": "First-contact resolution",
    "first_response_time": "First response time",
    "first_response_p50": "First response, median",
    "first_response_p90": "First response, p90",
    "first_response_mean": "First response, mean",
    "business_first_response_p50": "First response, median (business hours)",
    "resolution_p50": "Resolution, median",
    "resolution_p90": "Resolution, p90",
    "full_resolution_p50": "Full resolution, median",
    "full_resolution_p90": "Full resolution, p90",
    "reopen_rate": "Reopen rate",
    "csat": "CSAT",
    "csat_satisfied": "CSAT satisfied (4–5)",
    "low_csat_share": "Low-CSAT share",
    "negative_share": "Negative-sentiment share",
}

_KIND_NAMES = {
    AnomalyKind.UNSPECIFIED: "anomaly",
    AnomalyKind.VOLUME_SURGE: "volume surge",
    AnomalyKind.EMERGING_ISSUE: "emerging issue",
    AnomalyKind.KPI_DEGRADATION: "KPI degradation",
    AnomalyKind.SENTIMENT_SURGE: "sentiment surge",
}

_CHANGE_NAMES = {
    ChangeKind.NEW: "New",
    ChangeKind.EMERGING: "Emerging",
    ChangeKind.SPLIT: "Split",
    ChangeKind.MERGED: "Merged",
    ChangeKind.RETIRED: "Retired",
}

_REASONS = {"top": "top issue", "anomaly": "anomaly", "new": "new issue"}

# Control and bidi-override characters would garble a table row or reorder text.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


# --- text -------------------------------------------------------------------------


def clean(text: str) -> str:
    """One printable line: user text lands in table cells and chart labels."""
    return " ".join(_UNPRINTABLE.sub(" ", text).split())


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def display_width(text: str) -> int:
    """Columns the text takes: CJK glyphs are twice as wide as Latin ones."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def truncate(text: str, width: int) -> str:
    """Cut to `width` display columns with an ellipsis, so labels fit a chart."""
    text = clean(text)
    if display_width(text) <= width:
        return text
    out, used = [], 1
    for char in text:
        used += display_width(char)
        if used > width:
            break
        out.append(char)
    return "".join(out).rstrip() + "…"


def sentence(text: str) -> str:
    """Upper-case the first letter only: "KPI degradation" must keep its capitals."""
    return text[:1].upper() + text[1:]


def first(items: Sequence[str], limit: int) -> tuple[Sequence[str], str]:
    """The items to show and a "+ 7 more" tail for the rest ("" when none are cut)."""
    rest = len(items) - limit
    return items[:limit], (f"+ {rest} more" if rest > 0 else "")


def quoted(text: str) -> str:
    return f"“{clean(text)}”"


# --- numbers ----------------------------------------------------------------------


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def count(value: float | None) -> str:
    return f"{round(value):,}" if _finite(value) else DASH


def percent(ratio: float | None) -> str:
    return f"{ratio * 100:.1f} %" if _finite(ratio) else DASH


def duration(seconds: float | None) -> str:
    """Humanised to the unit a reader thinks in: 45 s, 12 min, 3.2 h, 2.1 d."""
    if not _finite(seconds):
        return DASH
    sign, s = ("-" if seconds < 0 else ""), abs(seconds)
    if s < 59.5:
        return f"{sign}{s:.0f} s"
    if s < 59.5 * 60:
        return f"{sign}{s / 60:.0f} min"
    if s < 23.95 * 3600:
        return f"{sign}{s / 3600:.1f} h"
    return f"{sign}{s / 86400:.1f} d"


def score(value: float | None) -> str:
    return f"{value:.2f}" if _finite(value) else DASH


def metric_unit(metric: str) -> str:
    """The Kpi unit of a metric named only by a string (movers, anomalies)."""
    if metric == "volume":
        return "tickets"
    if metric == "csat":
        return "score"
    if "time" in metric or metric.endswith(("_p50", "_p90", "_mean")):
        return "seconds"
    return "ratio"  # fcr, reopen_rate, csat_satisfied, *_share


def value(number: float | None, unit: str) -> str:
    if unit == "tickets":
        return count(number)
    if unit == "ratio":
        return percent(number)
    if unit == "seconds":
        return duration(number)
    if unit == "score":
        return score(number)
    return f"{number:g}" if _finite(number) else DASH


def _signed(number: float, digits: int, suffix: str) -> str:
    text = f"{abs(number):.{digits}f}"
    if float(text) == 0:
        return f"±0{suffix}"
    return ("+" if number > 0 else MINUS) + text + suffix


def relative(change: float | None) -> str:
    """A relative change as "+12 %"; small ones keep a decimal, tenfold ones read "307×"."""
    if not _finite(change):
        return DASH
    if change >= 9:
        return f"{change + 1:,.0f}×"
    pct = change * 100
    return _signed(pct, 1 if abs(pct) < 10 else 0, " %")


def delta(current: float | None, previous: float | None, unit: str) -> str:
    """Ratios move in percentage points, scores in points, the rest relatively."""
    if not (_finite(current) and _finite(previous)):
        return DASH
    if unit == "ratio":
        return _signed((current - previous) * 100, 1, " pp")
    if unit == "score":
        return _signed(current - previous, 2, "")
    if previous == 0:
        return "new" if current else _signed(0, 0, " %")
    return relative((current - previous) / previous)


def direction(current: float | None, previous: float | None) -> int:
    if not (_finite(current) and _finite(previous)) or current == previous:
        return 0
    return 1 if current > previous else -1


def arrow(current: float | None, previous: float | None) -> str:
    """ "" when there is nothing to compare: an arrow would claim a trend."""
    if not (_finite(current) and _finite(previous)):
        return ""
    return {1: "▲", -1: "▼", 0: "→"}[direction(current, previous)]


def tone(improved: bool | None) -> str:
    """CSS class and colour key: improved is good, regressed is bad."""
    return {True: "good", False: "bad", None: "neutral"}[improved]


def verdict(improved: bool | None) -> str:
    return {True: "improved", False: "regressed", None: ""}[improved]


def kpi_change(kpi: Kpi) -> str:
    return delta(kpi.current, kpi.previous, kpi.unit)


def text_sparkline(values: Sequence[float]) -> str:
    """▁▂▃▄▅▆▇█ from zero, so a flat low issue does not look like a spike."""
    top = max((v for v in values if _finite(v)), default=0)
    if top <= 0:
        return SPARK_BLOCKS[0] * len(values)
    last = len(SPARK_BLOCKS) - 1
    return "".join(
        SPARK_BLOCKS[min(last, max(0, int(v / top * len(SPARK_BLOCKS))))] if _finite(v) else " "
        for v in values
    )


# --- names ------------------------------------------------------------------------


def metric_name(metric: str) -> str:
    return _METRIC_NAMES.get(metric, metric.replace("_", " ").capitalize())


def severity_name(severity: Severity) -> str:
    return "Unrated" if severity == Severity.UNSPECIFIED else severity.name.capitalize()


def status_name(status: AnomalyStatus) -> str:
    return {AnomalyStatus.OPEN: "open", AnomalyStatus.ONGOING: "ongoing"}.get(status, "resolved")


def kind_name(kind: AnomalyKind) -> str:
    return _KIND_NAMES.get(kind, "anomaly")


def change_name(kind: ChangeKind) -> str:
    return _CHANGE_NAMES[kind]


def reason_name(reason: str) -> str:
    return _REASONS.get(reason, reason)


def dims_text(dims: Dims) -> str:
    return " ∧ ".join(f"{clean(k)}={clean(v)}" for k, v in dims) or "everything"


def scope(anomaly: Anomaly) -> str:
    return clean(anomaly.issue_label) or ("tenant-wide" if anomaly.issue_id is None else "")


def anomaly_title(anomaly: Anomaly) -> str:
    """What the timeline row and the section heading call the anomaly."""
    who = scope(anomaly) or f"issue {anomaly.issue_id}"
    return f"{who} · {metric_name(anomaly.metric).lower()}"


def anomaly_value(metric: str, number: float | None) -> str:
    if metric_unit(metric) == "tickets" and _finite(number) and abs(number) < 10:
        return f"{number:.1f}"
    return value(number, metric_unit(metric))


def observed_vs_expected(anomaly: Anomaly) -> str:
    observed = anomaly_value(anomaly.metric, anomaly.observed)
    expected = anomaly_value(anomaly.metric, anomaly.expected)
    change = relative(anomaly.change) if anomaly.expected > 0 else "no baseline"
    return (
        f"observed {observed} vs expected {expected} ({change}), {count(anomaly.tickets)} tickets"
    )


def q_value(q: float | None) -> str:
    """A mover's Benjamini-Hochberg q, as a reader checks it against 0.05."""
    if q is None:
        return DASH
    return "<0.001" if q < 0.001 else f"{q:.3f}"


def mover_subject(mover: Mover) -> str:
    if mover.dimension == "issue":
        return clean(mover.label or mover.value)
    if mover.dimension.startswith("attributes."):
        return f"{clean(mover.dimension.removeprefix('attributes.'))}={clean(mover.value)}"
    return f"{clean(mover.dimension)} {clean(mover.label or mover.value)}"


def mover_groups(movers: Iterable[Mover]) -> list[tuple[str, list[Mover]]]:
    """Regressions first: they are what a support lead acts on."""
    ranked = sorted(movers, key=lambda m: -m.score)
    groups = [
        ("Regressions", [m for m in ranked if m.improved is False]),
        ("Improvements", [m for m in ranked if m.improved is True]),
        ("Volume shifts", [m for m in ranked if m.improved is None]),
    ]
    return [(title, items) for title, items in groups if items]


def change_text(change: IssueChange, tz: str) -> str:
    when = local_time(change.at, tz)
    related = quoted(change.related_label) if change.related_label else "another issue"
    tickets = f"{count(change.tickets)} tickets"
    if change.kind == ChangeKind.NEW:
        return f"first ticket {when}; {tickets} this week"
    if change.kind == ChangeKind.EMERGING:
        return f"emerging since {when}; {tickets} this week"
    if change.kind == ChangeKind.SPLIT:
        return f"split from {related} {when}; {tickets}"
    if change.kind == ChangeKind.MERGED:
        return f"merged into {related} {when}; {tickets}"
    return f"retired {when}; {tickets}"


# --- time -------------------------------------------------------------------------


@lru_cache(maxsize=32)
def zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(zone(tz))


def day_text(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def local_time(moment: datetime, tz: str) -> str:
    at = local(moment, tz)
    return f"{day_text(at.date())} {at:%H:%M}"


def week_days(start: datetime, tz: str) -> list[datetime]:
    """The 8 local midnights bounding the week's days, as aware local datetimes."""
    monday = local(start, tz).date()
    return [
        datetime.combine(monday + timedelta(days=i), datetime.min.time(), zone(tz))
        for i in range(8)
    ]


def week_range(start: datetime, end: datetime, tz: str) -> str:
    """Mon 9 Nov – Sun 15 Nov 2026: the end is exclusive, so show the day before."""
    first = local(start, tz).date()
    last = (local(end, tz) - timedelta(microseconds=1)).date()
    head = day_text(first) + (f" {first.year}" if first.year != last.year else "")
    return f"{head} – {day_text(last)} {last.year}"


def anomaly_window(anomaly: Anomaly, tz: str) -> str:
    end = local_time(anomaly.end, tz) if anomaly.end is not None else "ongoing"
    return f"{local_time(anomaly.start, tz)} → {end}"


# --- digest-level wording ----------------------------------------------------------


def headline(digest: WeeklyDigest) -> str:
    """The one sentence a reader gets if they read nothing else."""
    week = f"{count(digest.current.volume)} tickets"
    change = delta(digest.current.volume, digest.previous.volume, "tickets")
    parts = [f"{week} ({change} vs {digest.previous_iso_week})"]
    parts.append(f"{count(digest.active_issues)} active issues")
    parts.append(f"{count(digest.unassigned)} tickets in no issue")
    active = sum(1 for a in digest.anomalies if a.status.active)
    parts.append(f"{len(digest.anomalies)} anomalies ({active} still open)")
    return "; ".join(parts) + "."


def subtitle(digest: WeeklyDigest) -> str:
    return (
        f"{week_range(digest.start, digest.end, digest.time_zone)} · {digest.time_zone}"
        f" · compared with {digest.previous_iso_week}"
    )


def generated_text(digest: WeeklyDigest) -> str:
    at = local(digest.generated_at, digest.time_zone)
    return f"Generated {at:%Y-%m-%d %H:%M} {digest.time_zone} · issue model v{digest.model_version}"


def ticket_link(template: str, external_id: str) -> str:
    """The ticket's URL, or "" when the template has no {external_id} slot."""
    if "{external_id}" not in template:
        return ""
    return template.replace("{external_id}", quote(external_id, safe=""))


def drill_downs(digest: WeeklyDigest) -> list[tuple[str, TicketFilter]]:
    """The filters listed in the drill-down section, whole week first."""
    rows = [(f"Week {digest.iso_week}", digest.drill_down)]
    rows += [(f"Issue {i.issue_id}: {clean(i.label)}", i.drill_down) for i in digest.top_issues]
    rows += [
        (f"Anomaly {a.anomaly_id}: {kind_name(a.kind)}, {anomaly_title(a)}", anomaly_filter(a))
        for a in digest.anomalies
    ]
    return rows


def anomaly_filter(anomaly: Anomaly) -> TicketFilter:
    return TicketFilter(anomaly_id=anomaly.anomaly_id)


def grpcurl_example(digest: WeeklyDigest, filter_json: str) -> str:
    """A copy-paste command; a quote in the tenant id would end the shell string."""
    tenant = json.dumps(clean(digest.tenant_id).replace("'", ""), ensure_ascii=False)
    body = f'{{"tenant_id":{tenant},"filter":{filter_json}}}'
    return f"grpcurl -plaintext -d '{body}' localhost:50051 ticketminer.v1.TicketMiner/ListTickets"
