"""The weekly digest as one self-contained HTML page with inline SVG charts.

One file, no scripts and no fetched assets: it must open from a mail attachment or
an air-gapped share exactly as it was rendered, and print cleanly on A4.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ticketminer.digest import charts
from ticketminer.digest import formatting as fmt
from ticketminer.digest.customers import CustomerSection, customer_sections
from ticketminer.digest.filter_text import filter_json
from ticketminer.domain.anomalies import Anomaly, lift_text
from ticketminer.domain.digest import DigestIssue, Kpi, Mover, WeeklyDigest

FONTS = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif'
)

_SEVERITY_CSS = "".join(
    f".sev-{s.name.lower()}{{--sev:{colour}}}" for s, colour in charts.SEVERITY_COLOURS.items()
)

CSS = f"""
:root{{--ink:{charts.INK};--muted:{charts.MUTED};--line:{charts.GRID};--accent:{charts.ACCENT};
--good:{charts.TONES["good"]};--bad:{charts.TONES["bad"]};--neutral:{charts.TONES["neutral"]};
--paper:#fff;--bg:#f3f4f6}}
*{{box-sizing:border-box}}
html{{background:var(--bg)}}
body{{margin:0;padding:32px 16px;font-family:{FONTS};color:var(--ink);font-size:14px;
line-height:1.5;-webkit-font-smoothing:antialiased}}
main{{max-width:960px;margin:0 auto;background:var(--paper);border-radius:12px;
padding:36px 44px 28px;box-shadow:0 1px 3px rgb(0 0 0/.08),0 8px 24px rgb(0 0 0/.04)}}
h1{{font-size:26px;line-height:1.25;margin:0 0 4px;letter-spacing:-.01em}}
h2{{font-size:17px;margin:0 0 12px;padding-bottom:6px;border-bottom:2px solid var(--ink)}}
h3{{font-size:15px;margin:0}}
section{{margin-top:34px}}
.eyebrow{{text-transform:uppercase;letter-spacing:.08em;font-size:11px;font-weight:700;
color:var(--accent)}}
.meta,.note,.sub{{color:var(--muted)}}
.meta{{margin:0}}
.headline{{font-size:15px;margin:14px 0 0;padding:10px 14px;background:#f8fafc;
border-left:4px solid var(--accent);border-radius:4px}}
.empty-week{{border-left-color:var(--bad);font-weight:600}}
.num{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}
table{{border-collapse:collapse;width:100%}}
th,td{{padding:7px 8px;border-bottom:1px solid var(--line);vertical-align:middle}}
th{{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
text-align:left;font-weight:600}}
th.num{{text-align:right}}
tbody tr:last-child td{{border-bottom:0}}
.kpi-grid{{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}}
.kpi-tile{{border:1px solid var(--line);border-radius:10px;padding:12px 14px;
border-top:4px solid var(--neutral);background:var(--paper)}}
.kpi-tile.good{{border-top-color:var(--good)}}
.kpi-tile.bad{{border-top-color:var(--bad)}}
.kpi-name{{font-size:12px;color:var(--muted);font-weight:600}}
.kpi-value{{font-size:26px;font-weight:700;line-height:1.2;margin:4px 0;
font-variant-numeric:tabular-nums}}
.kpi-delta{{display:flex;align-items:center;gap:6px;font-weight:600;font-size:13px}}
.kpi-delta svg{{flex:none}}
.good .kpi-delta,.tone-good{{color:var(--good)}}
.bad .kpi-delta,.tone-bad{{color:var(--bad)}}
.neutral .kpi-delta,.tone-neutral{{color:var(--neutral)}}
.verdict{{font-weight:500;font-size:12px}}
.kpi-prev{{font-size:12px;color:var(--muted);margin-top:2px}}
svg.chart-volume,svg.chart-timeline{{display:block;width:100%;height:auto}}
svg.sparkline{{display:block}}
.terms{{display:block;font-size:12px;color:var(--muted)}}
.issue-label{{font-weight:700}}
.chart-note{{font-size:12px;color:var(--muted);margin:6px 0 0}}
.changes{{list-style:none;padding:0;margin:0}}
.changes li{{display:flex;gap:10px;align-items:baseline;padding:6px 0;
border-bottom:1px solid var(--line)}}
.changes li:last-child{{border-bottom:0}}
.badge{{display:inline-block;flex:none;min-width:84px;text-align:center;font-size:11px;font-weight:700;
text-transform:uppercase;letter-spacing:.04em;padding:2px 8px;border-radius:999px;
background:#eef2ff;color:#3730a3}}
.badge.new{{background:#dcfce7;color:#166534}}
.badge.emerging{{background:#fee2e2;color:#991b1b}}
.badge.split,.badge.merged{{background:#e0f2fe;color:#075985}}
.badge.retired{{background:#f3f4f6;color:#4b5563}}
.anomaly{{border:1px solid var(--line);border-left:6px solid var(--sev);border-radius:10px;
padding:14px 16px;margin-top:14px;break-inside:avoid}}
.anomaly-head{{display:flex;flex-wrap:wrap;gap:8px;align-items:center}}
.sev{{background:var(--sev);color:#fff;font-size:11px;font-weight:700;padding:2px 8px;
border-radius:999px;text-transform:uppercase;letter-spacing:.04em}}
.status{{margin-left:auto;font-size:12px;color:var(--muted)}}
.anomaly p{{margin:6px 0}}
.anomaly table{{margin-top:8px}}
.facts{{color:var(--muted);font-size:13px}}
.movers{{display:grid;grid-template-columns:1fr;gap:18px}}
.movers h3{{font-size:13px;margin-bottom:4px}}
table.fixed{{table-layout:fixed}}
table.fixed th:nth-child(1){{width:27%}}table.fixed th:nth-child(2){{width:27%}}
table.fixed th:nth-child(n+3){{width:12%}}table.fixed th:last-child{{width:10%}}
table.filters th:first-child{{width:34%}}
table.root-causes{{table-layout:fixed}}
table.root-causes th:nth-child(1){{width:34%}}table.root-causes th:nth-child(2){{width:12%}}
table.root-causes th:nth-child(3){{width:9%}}table.root-causes th:nth-child(4){{width:12%}}
.highlight{{border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin-top:14px;
break-inside:avoid}}
.highlight ul{{list-style:none;margin:8px 0 0;padding:0}}
.highlight li{{padding:8px 0;border-top:1px solid var(--line)}}
.ticket-meta{{font-size:12px;color:var(--muted)}}
.snippet{{margin:4px 0 0;padding-left:10px;border-left:3px solid var(--line)}}
.reason{{font-size:12px;color:var(--muted);font-weight:400;margin-left:6px}}
code{{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;
font-size:12px;background:#f3f4f6;border-radius:4px;padding:1px 5px;overflow-wrap:anywhere}}
pre{{background:#f3f4f6;border-radius:6px;padding:10px 12px;white-space:pre-wrap;
overflow-wrap:anywhere;margin:8px 0 0}}
pre code{{background:none;padding:0}}
details summary{{cursor:pointer;color:var(--accent);font-size:13px;margin-top:10px}}
a{{color:var(--accent)}}
.tid{{white-space:nowrap}}
.kind{{display:block;font-size:11px;color:var(--muted);text-transform:uppercase;
letter-spacing:.04em}}
table.customers td:last-child{{font-size:12px}}
footer{{margin-top:36px;padding-top:12px;border-top:1px solid var(--line);font-size:12px;
color:var(--muted)}}
footer dl{{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 8px}}
footer dt{{font-weight:600}}
footer dd{{margin:0}}
{_SEVERITY_CSS}
@page{{size:A4;margin:12mm}}
@media print{{html,body{{background:#fff;padding:0}}
main{{box-shadow:none;padding:0;max-width:none;border-radius:0}}
section{{break-inside:avoid-page}}a{{color:inherit;text-decoration:none}}
details summary{{display:none}}}}
@media (max-width:720px){{.kpi-grid{{grid-template-columns:repeat(2,1fr)}}
main{{padding:20px}}}}
"""


def _u(text: str) -> str:
    """User text, escaped, marked as Chinese when it is, so the CJK font is picked."""
    text = escape(fmt.clean(text))
    return f'<span lang="zh">{text}</span>' if fmt.has_cjk(text) else text


def _e(text: str) -> str:
    return escape(fmt.clean(text))


def _code(text: str) -> str:
    """Code that wraps after a comma rather than inside a timestamp."""
    lang = ' lang="zh"' if fmt.has_cjk(text) else ""
    return f"<code{lang}>{_e(text).replace(',', ',<wbr>')}</code>"


def _ticket(external_id: str, ticket_url: str) -> str:
    url = fmt.ticket_link(ticket_url, external_id)
    if not url:
        return f'<code class="tid">{_e(external_id)}</code>'
    return f'<a class="tid" href="{escape(url, quote=True)}">{_e(external_id)}</a>'


def _tickets(ids: Sequence[str], limit: int, ticket_url: str) -> str:
    shown, more = fmt.first(ids, limit)
    text = ", ".join(_ticket(t, ticket_url) for t in shown)
    tail = f' <span class="sub">{_e(more)}</span>' if more else ""
    return text + tail if text else fmt.DASH


def _table(header: list[tuple[str, bool]], rows: list[list[str]], cls: str = "") -> str:
    """`header` pairs a title with whether the column is numeric (right-aligned)."""
    attr = f' class="{cls}"' if cls else ""

    def cell(tag: str, html: str, numeric: bool) -> str:
        return f'<{tag} class="num">{html}</{tag}>' if numeric else f"<{tag}>{html}</{tag}>"

    head = "".join(cell("th", _e(title), num) for title, num in header)
    body = "".join(
        "<tr>"
        + "".join(cell("td", c, num) for c, (_, num) in zip(row, header, strict=True))
        + "</tr>"
        for row in rows
    )
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(key: str, inner: str) -> str:
    return f'<section id="{key.replace("_", "-")}"><h2>{_e(fmt.TITLES[key])}</h2>{inner}</section>'


def _none(digest: WeeklyDigest, key: str) -> str:
    if digest.empty:
        return ""
    return _section(key, f'<p class="note">{_e(fmt.NONE_THIS_WEEK[key])}</p>')


def _header(d: WeeklyDigest) -> str:
    line = (
        f'<p class="headline empty-week">{_e(fmt.EMPTY_WEEK)}</p>'
        if d.empty
        else f'<p class="headline">{_e(fmt.headline(d))}</p>'
    )
    return (
        f'<header><div class="eyebrow">Weekly digest · {_u(d.tenant_id)}</div>'
        f"<h1>Weekly digest — {_u(d.tenant_id)} — {_e(d.iso_week)}</h1>"
        f'<p class="meta">{_e(fmt.subtitle(d))}</p>{line}</header>'
    )


def _kpi_tile(kpi: Kpi, previous_week: str) -> str:
    tone = fmt.tone(kpi.improved)
    sign = fmt.direction(kpi.current, kpi.previous)
    change = fmt.kpi_change(kpi)
    verdict = fmt.verdict(kpi.improved)
    if kpi.delta is None:
        moved = '<span class="verdict">no comparison</span>'
    else:
        label = f"{change} {verdict}".strip() if sign else "no change"
        moved = (
            f"{charts.delta_arrow(sign, tone, label)}<span>{_e(change)}</span>"
            f'<span class="verdict">{_e(verdict)}</span>'
        )
    return (
        f'<div class="kpi-tile {tone}"><div class="kpi-name">{_e(fmt.metric_name(kpi.name))}</div>'
        f'<div class="kpi-value">{_e(fmt.value(kpi.current, kpi.unit))}</div>'
        f'<div class="kpi-delta">{moved}</div>'
        f'<div class="kpi-prev">{_e(previous_week)}: {_e(fmt.value(kpi.previous, kpi.unit))}</div>'
        f'<div class="kpi-prev">n = {_e(fmt.count(kpi.n))} tickets</div></div>'
    )


def _kpis(d: WeeklyDigest) -> str:
    tiles = "".join(_kpi_tile(k, d.previous_iso_week) for k in d.kpis)
    return _section("kpis", f'<div class="kpi-grid">{tiles}</div>')


def _days(d: WeeklyDigest) -> str:
    if not any(day.volume or day.previous_volume for day in d.days):
        return ""
    chart = charts.volume_bars(d.days, d.iso_week, d.previous_iso_week)
    return _section("days", chart)


def _issue_row(rank: int, i: DigestIssue) -> list[str]:
    terms = ", ".join(t for t in i.terms[:5])
    return [
        str(rank),
        f'<span class="issue-label">{_u(i.label)}</span>'
        + (f'<span class="terms">{_u(terms)}</span>' if terms else ""),
        _e(fmt.count(i.volume)),
        _e(fmt.delta(i.volume, i.previous_volume, "tickets")),
        _e(fmt.percent(i.share)),
        _e(fmt.percent(i.metrics.fcr.value)),
        _e(fmt.duration(i.metrics.first_response_time.p50_seconds)),
        charts.sparkline(i.weekly_volumes),
    ]


def _top_issues(d: WeeklyDigest) -> str:
    if not d.top_issues:
        return _none(d, "top_issues")
    weeks = f"{len(d.sparkline_weeks)} weeks" if d.sparkline_weeks else "Weekly"
    header = [
        ("#", True),
        ("Issue", False),
        ("Tickets", True),
        ("WoW", True),
        ("Share", True),
        ("FCR", True),
        ("First resp. p50", True),
        (weeks, False),
    ]
    rows = [_issue_row(rank, i) for rank, i in enumerate(d.top_issues, start=1)]
    note = (
        f'<p class="chart-note">{_e(fmt.count(d.active_issues))} issues had tickets this week; '
        f"{_e(fmt.count(d.unassigned))} tickets fit no issue yet.</p>"
    )
    return _section("top_issues", _table(header, rows, "issues") + note)


def _changes(d: WeeklyDigest) -> str:
    if not d.changes:
        return _none(d, "changes")
    items = "".join(
        f'<li><span class="badge {c.kind.value}">{_e(fmt.change_name(c.kind))}</span>'
        f'<span><span class="issue-label">{_u(c.label)}</span> '
        f'<span class="sub">{_u(fmt.change_text(c, d.time_zone))}</span></span></li>'
        for c in d.changes
    )
    return _section("changes", f'<ul class="changes">{items}</ul>')


def _root_causes(a: Anomaly, ticket_url: str) -> str:
    header = [
        ("Root cause", False),
        ("Explains", True),
        ("Lift", True),
        ("Support", True),
        ("Evidence", False),
    ]
    rows = [
        [
            _u(fmt.dims_text(rc.dims)),
            _e(fmt.percent(rc.explained_share)),
            _e(lift_text(rc.lift, rc.explained_share)),
            _e(fmt.percent(rc.support)),
            _tickets(rc.evidence_ticket_ids, fmt.CAUSE_EVIDENCE_SHOWN, ticket_url),
        ]
        for rc in a.root_causes[:3]
    ]
    return _table(header, rows, "root-causes")


def _anomaly(a: Anomaly, tz: str, ticket_url: str) -> str:
    sev = a.severity.name.lower()
    parts = [
        f'<article class="anomaly sev-{sev}"><div class="anomaly-head">'
        f'<span class="sev">{_e(fmt.severity_name(a.severity))}</span>'
        f"<h3>{_e(fmt.sentence(fmt.kind_name(a.kind)))} · {_u(fmt.anomaly_title(a))}</h3>"
        f'<span class="status">{_e(fmt.status_name(a.status))}</span></div>',
        f'<p class="facts">{_e(fmt.anomaly_window(a, tz))} · {_e(fmt.metric_name(a.metric))}: '
        f"{_u(fmt.observed_vs_expected(a))}</p>",
    ]
    if a.summary:
        parts.append(f"<p>{_u(a.summary)}</p>")
    if a.terms:
        parts.append(f'<p class="facts">Words: {_u(", ".join(t.term for t in a.terms))}</p>')
    if a.root_causes:
        parts.append(_root_causes(a, ticket_url))
    if a.evidence_ticket_ids:
        ids = _tickets(a.evidence_ticket_ids, fmt.EVIDENCE_SHOWN, ticket_url)
        parts.append(f'<p class="facts">Evidence: {ids}</p>')
    parts.append(
        f'<p class="facts">Tickets: {_code(filter_json(fmt.anomaly_filter(a)))}</p></article>'
    )
    return "".join(parts)


def _anomalies(d: WeeklyDigest, ticket_url: str) -> str:
    if not d.anomalies:
        return _none(d, "anomalies")
    timeline = charts.anomaly_timeline(d.anomalies, d.start, d.end, d.time_zone)
    cards = "".join(_anomaly(a, d.time_zone, ticket_url) for a in d.anomalies)
    return _section("anomalies", timeline + cards)


def _mover_row(m: Mover) -> list[str]:
    unit = fmt.metric_unit(m.metric)
    tone = fmt.tone(m.improved)
    return [
        _u(fmt.mover_subject(m)),
        _e(fmt.metric_name(m.metric)),
        _e(fmt.value(m.current, unit)),
        _e(fmt.value(m.previous, unit)),
        f'<span class="tone-{tone}">{_e(fmt.arrow(m.current, m.previous))} '
        f"{_e(fmt.delta(m.current, m.previous, unit))}</span>",
        _e(fmt.count(m.n)),
        _e(fmt.q_value(m.q_value)),
    ]


def _movers(d: WeeklyDigest) -> str:
    if not d.movers:
        return _none(d, "movers")
    header = [
        ("Where", False),
        ("Metric", False),
        (d.iso_week, True),
        (d.previous_iso_week, True),
        ("Change", True),
        ("n", True),
        ("q", True),
    ]
    groups = "".join(
        f"<div><h3>{_e(title)}</h3>{_table(header, [_mover_row(m) for m in movers], 'fixed')}</div>"
        for title, movers in fmt.mover_groups(d.movers)
    )
    return _section("movers", f'<div class="movers">{groups}</div>')


_BAR_TONES = {"new_customers": "neutral", "praise": "good", "minefields": "bad"}


def _customer_section(section: CustomerSection, ticket_url: str) -> str:
    intro = f'<p class="note">{_e(section.intro)}</p>'
    if not section.rows:
        return _section(section.key, intro + f'<p class="note">{_e(section.nothing)}</p>')
    header = [
        ("What", False),
        *[(title, True) for title in section.columns],
        ("", False),
        ("Evidence", False),
    ]
    rows = [
        [
            f'<span class="issue-label">{_u(r.subject)}</span>'
            f'<span class="kind">{_e(r.kind)}</span>',
            *[_e(n) for n in r.numbers],
            charts.rate_bars(r.rate, r.baseline, section.bar_labels, _BAR_TONES[section.key]),
            _tickets(r.evidence, 2, ticket_url),
        ]
        for r in section.rows
    ]
    return _section(section.key, intro + _table(header, rows, "customers"))


def _customers(d: WeeklyDigest, ticket_url: str) -> str:
    if d.customers is None or d.empty:
        return ""
    return "".join(_customer_section(s, ticket_url) for s in customer_sections(d.customers))


def _highlights(d: WeeklyDigest, ticket_url: str) -> str:
    if not d.highlights:
        return _none(d, "highlights")
    cards = []
    for h in d.highlights:
        tickets = "".join(
            f'<li><div class="ticket-meta">{_ticket(t.external_id, ticket_url)} · '
            f"{_e(fmt.local_time(t.created_at, d.time_zone))} · {_u(t.channel)}</div>"
            f'<p class="snippet">{_u(t.snippet)}</p></li>'
            for t in h.tickets
        )
        cards.append(
            f'<article class="highlight"><h3>{_u(h.label)}'
            f'<span class="reason">{_e(fmt.reason_name(h.reason))}</span></h3>'
            f"<ul>{tickets}</ul></article>"
        )
    return _section("highlights", "".join(cards))


def _drill_down(d: WeeklyDigest) -> str:
    note = fmt.DRILL_DOWN_NOTE.replace("`filter`", "<code>filter</code>").replace(
        "`anomaly_id`", "<code>anomaly_id</code>"
    )
    rows = [[_u(what), _code(filter_json(flt))] for what, flt in fmt.drill_downs(d)]
    table = _table([("Tickets of", False), ("filter", False)], rows, "filters")
    example = fmt.grpcurl_example(d, filter_json(d.drill_down))
    details = (
        f"<details><summary>grpcurl example</summary><pre><code>{_e(example)}</code></pre>"
        "</details>"
    )
    return _section("drill_down", f'<p class="note">{note}</p>{table}{details}')


def _footer(d: WeeklyDigest) -> str:
    defs = "".join(
        f"<dt>{_e(fmt.metric_name(m.name))}</dt><dd>{_u(m.definition)}</dd>" for m in d.definitions
    )
    return f"<footer>{f'<dl>{defs}</dl>' if defs else ''}{_e(fmt.generated_text(d))}</footer>"


def render_html(digest: WeeklyDigest, ticket_url: str = "") -> str:
    """`ticket_url` like "https://desk.example/t/{external_id}" links the ticket ids."""
    body = "".join(
        [
            _header(digest),
            _kpis(digest),
            _days(digest),
            _top_issues(digest),
            _changes(digest),
            _anomalies(digest, ticket_url),
            _movers(digest),
            _customers(digest, ticket_url),
            _highlights(digest, ticket_url),
            _drill_down(digest),
            _footer(digest),
        ]
    )
    title = f"Weekly digest — {fmt.clean(digest.tenant_id)} — {digest.iso_week}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
