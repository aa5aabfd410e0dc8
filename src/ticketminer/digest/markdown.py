"""The weekly digest as GitHub-flavoured Markdown, for chat, mail and wikis.

Labels and snippets are user data: they are cleaned to one line and escaped so a
"|" cannot break a table and a masked "<order_no>" is shown, not swallowed as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ticketminer.digest import formatting as fmt
from ticketminer.digest.customers import customer_sections
from ticketminer.digest.filter_text import filter_json
from ticketminer.domain.anomalies import Anomaly, lift_text
from ticketminer.domain.digest import WeeklyDigest

_SPECIAL = re.compile(r"[\\`*\[\]<>|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|&(?=#?\w+;)")


def esc(text: str) -> str:
    """Backslash-escape what Markdown would read as markup (CommonMark allows any)."""
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), fmt.clean(text))


def code(text: str, in_table: bool = False) -> str:
    """A code span that survives backticks inside; GFM tables need "|" escaped even here."""
    text = fmt.clean(text)
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    if in_table:
        text = text.replace("|", "\\|")
    return f"{ticks}{pad}{text}{pad}{ticks}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    """`align` has one letter per column: l or r (default l)."""
    rule = ["---:" if align[i : i + 1] == "r" else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _link(external_id: str, ticket_url: str, in_table: bool = False) -> str:
    url = fmt.ticket_link(ticket_url, external_id)
    if not url:
        return code(external_id, in_table)
    return f"[{esc(external_id)}](<{url.replace('>', '%3E').replace('|', '%7C')}>)"


def _tickets(ids: Sequence[str], limit: int, ticket_url: str, in_table: bool = False) -> str:
    shown, more = fmt.first(ids, limit)
    text = ", ".join(_link(t, ticket_url, in_table) for t in shown)
    return " ".join(x for x in (text, more) if x) or fmt.DASH


def _section(key: str) -> list[str]:
    return [f"## {fmt.TITLES[key]}", ""]


def _none(digest: WeeklyDigest, key: str) -> list[str]:
    """A plain 'nothing' line, left out of an empty week where it says nothing new."""
    return [] if digest.empty else [*_section(key), fmt.NONE_THIS_WEEK[key], ""]


def _header(d: WeeklyDigest) -> list[str]:
    lines = [f"# Weekly digest — {esc(d.tenant_id)} — {d.iso_week}", ""]
    lines += [esc(fmt.subtitle(d)), ""]
    lines += [f"**{fmt.EMPTY_WEEK}**" if d.empty else fmt.headline(d), ""]
    return lines


def _kpis(d: WeeklyDigest) -> list[str]:
    rows = [
        [
            fmt.metric_name(k.name),
            fmt.value(k.current, k.unit),
            fmt.value(k.previous, k.unit),
            fmt.kpi_change(k),
            f"{fmt.arrow(k.current, k.previous)} {fmt.verdict(k.improved)}".strip(),
            fmt.count(k.n),
        ]
        for k in d.kpis
    ]
    header = ["Metric", d.iso_week, d.previous_iso_week, "Change", "Trend", "n"]
    return _section("kpis") + table(header, rows, "lrrrlr")


def _days(d: WeeklyDigest) -> list[str]:
    if not any(day.volume or day.previous_volume for day in d.days):
        return []
    rows = [
        [
            fmt.day_text(day.day),
            fmt.count(day.volume),
            fmt.count(day.previous_volume),
            fmt.delta(day.volume, day.previous_volume, "tickets"),
        ]
        for day in d.days
    ]
    header = ["Day", "Tickets", "Same day, week before", "Change"]
    return _section("days") + table(header, rows, "lrrr")


def _top_issues(d: WeeklyDigest) -> list[str]:
    if not d.top_issues:
        return _none(d, "top_issues")
    weeks = f"{len(d.sparkline_weeks)} weeks" if d.sparkline_weeks else "Weekly"
    rows = [
        [
            str(rank),
            esc(i.label),
            fmt.count(i.volume),
            fmt.delta(i.volume, i.previous_volume, "tickets"),
            fmt.percent(i.share),
            fmt.percent(i.metrics.fcr.value),
            fmt.duration(i.metrics.first_response_time.p50_seconds),
            fmt.text_sparkline(i.weekly_volumes),
        ]
        for rank, i in enumerate(d.top_issues, start=1)
    ]
    header = ["#", "Issue", "Tickets", "WoW", "Share", "FCR", "First response p50", weeks]
    lines = _section("top_issues") + table(header, rows, "rlrrrrrl")
    lines += [
        f"{fmt.count(d.active_issues)} issues had tickets this week; "
        f"{fmt.count(d.unassigned)} tickets fit no issue yet.",
        "",
    ]
    return lines


def _changes(d: WeeklyDigest) -> list[str]:
    if not d.changes:
        return _none(d, "changes")
    lines = _section("changes")
    for c in d.changes:
        lines.append(
            f"- **{fmt.change_name(c.kind)}** · {esc(c.label)} — "
            f"{esc(fmt.change_text(c, d.time_zone))}"
        )
    return [*lines, ""]


def _anomaly(a: Anomaly, tz: str, ticket_url: str) -> list[str]:
    lines = [
        f"### {fmt.severity_name(a.severity)} · {fmt.kind_name(a.kind)} · "
        f"{esc(fmt.anomaly_title(a))}",
        "",
        f"- Window: {fmt.anomaly_window(a, tz)} ({fmt.status_name(a.status)})",
        f"- {fmt.metric_name(a.metric)}: {esc(fmt.observed_vs_expected(a))}",
    ]
    if a.summary:
        lines.append(f"- {esc(a.summary)}")
    if a.terms:
        lines.append("- Words: " + ", ".join(esc(t.term) for t in a.terms))
    if a.evidence_ticket_ids:
        shown = _tickets(a.evidence_ticket_ids, fmt.EVIDENCE_SHOWN, ticket_url)
        lines.append(f"- Evidence: {shown}")
    lines.append(f"- Tickets: {code(filter_json(fmt.anomaly_filter(a)))}")
    lines.append("")
    if a.root_causes:
        rows = [
            [
                esc(fmt.dims_text(rc.dims)),
                fmt.percent(rc.explained_share),
                lift_text(rc.lift, rc.explained_share),
                fmt.percent(rc.support),
                _tickets(rc.evidence_ticket_ids, fmt.CAUSE_EVIDENCE_SHOWN, ticket_url, True),
            ]
            for rc in a.root_causes[:3]
        ]
        header = ["Root cause", "Explains", "Lift", "Support", "Evidence"]
        lines += table(header, rows, "lrrrl")
    return lines


def _anomalies(d: WeeklyDigest, ticket_url: str) -> list[str]:
    if not d.anomalies:
        return _none(d, "anomalies")
    lines = _section("anomalies")
    for a in d.anomalies:
        lines += _anomaly(a, d.time_zone, ticket_url)
    return lines


def _movers(d: WeeklyDigest) -> list[str]:
    if not d.movers:
        return _none(d, "movers")
    lines = _section("movers")
    for title, movers in fmt.mover_groups(d.movers):
        rows = [
            [
                esc(fmt.mover_subject(m)),
                fmt.metric_name(m.metric),
                fmt.value(m.current, fmt.metric_unit(m.metric)),
                fmt.value(m.previous, fmt.metric_unit(m.metric)),
                fmt.delta(m.current, m.previous, fmt.metric_unit(m.metric)),
                fmt.count(m.n),
                fmt.q_value(m.q_value),
            ]
            for m in movers
        ]
        lines += [f"**{title}**", ""]
        header = ["Where", "Metric", d.iso_week, d.previous_iso_week, "Change", "n", "q"]
        lines += table(header, rows, "llrrrrr")
    return lines


def _customers(d: WeeklyDigest, ticket_url: str) -> list[str]:
    if d.customers is None or d.empty:
        return []
    lines: list[str] = []
    for section in customer_sections(d.customers):
        lines += [*_section(section.key), esc(section.intro), ""]
        if not section.rows:
            lines += [esc(section.nothing), ""]
            continue
        rows = [
            [esc(r.subject), r.kind, *r.numbers, _tickets(r.evidence, 3, ticket_url, True)]
            for r in section.rows
        ]
        header = ["What", "Kind", *section.columns, "Evidence"]
        lines += table(header, rows, "ll" + "r" * len(section.columns) + "l")
    return lines


def _highlights(d: WeeklyDigest, ticket_url: str) -> list[str]:
    if not d.highlights:
        return _none(d, "highlights")
    lines = _section("highlights")
    for h in d.highlights:
        lines += [f"### {esc(h.label)} ({fmt.reason_name(h.reason)})", ""]
        for t in h.tickets:
            when = fmt.local_time(t.created_at, d.time_zone)
            link = _link(t.external_id, ticket_url)
            lines.append(f"- {link} · {when} · {esc(t.channel)} — {esc(t.snippet)}")
        lines.append("")
    return lines


def _drill_down(d: WeeklyDigest) -> list[str]:
    rows = [[esc(what), code(filter_json(flt), in_table=True)] for what, flt in fmt.drill_downs(d)]
    lines = [*_section("drill_down"), fmt.DRILL_DOWN_NOTE, ""]
    lines += table(["Tickets of", "filter"], rows)
    lines += ["```sh", fmt.grpcurl_example(d, filter_json(d.drill_down)), "```", ""]
    return lines


def render_markdown(digest: WeeklyDigest, ticket_url: str = "") -> str:
    """`ticket_url` like "https://desk.example/t/{external_id}" turns ticket ids into links."""
    lines = [
        *_header(digest),
        *_kpis(digest),
        *_days(digest),
        *_top_issues(digest),
        *_changes(digest),
        *_anomalies(digest, ticket_url),
        *_movers(digest),
        *_customers(digest, ticket_url),
        *_highlights(digest, ticket_url),
        *_drill_down(digest),
        f"*{esc(fmt.generated_text(digest))}*",
    ]
    return "\n".join(lines).rstrip() + "\n"
