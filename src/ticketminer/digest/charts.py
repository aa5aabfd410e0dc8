"""Inline SVG charts for the HTML digest: plain strings, no scripts, no assets.

The page must stay one self-contained file that renders the same in a mail client,
a browser and a PDF printer, so every chart is static SVG sized by its viewBox and
every piece of user text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from html import escape

from ticketminer.digest import formatting as fmt
from ticketminer.domain.anomalies import Anomaly, Severity
from ticketminer.domain.digest import DayVolume

INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
ACCENT = "#2563eb"
GHOST = "#cbd5e1"
TONES = {"good": "#15803d", "bad": "#b91c1c", "neutral": "#6b7280"}
SEVERITY_COLOURS = {
    Severity.CRITICAL: "#991b1b",
    Severity.HIGH: "#dc2626",
    Severity.MEDIUM: "#f59e0b",
    Severity.LOW: "#60a5fa",
    Severity.UNSPECIFIED: "#9ca3af",
}


def _e(text: str) -> str:
    return escape(fmt.clean(text), quote=True)


def _svg(cls: str, width: float, height: float, label: str, body: str) -> str:
    """The shared wrapper: role, label and title make every chart readable aloud."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" role="img" '
        f'aria-label="{_e(label)}" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" height="{height:g}"><title>{_e(label)}</title>{body}</svg>'
    )


def _text(x: float, y: float, text: str, *, size: int = 12, fill: str = INK, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}"{extra}>{_e(text)}</text>'
    )


def _nice_step(top: float, ticks: int = 4) -> float:
    """A 1-2-5 step so that about `ticks` gridlines cover `top`, never below 1."""
    raw = max(top, 1) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(f * magnitude for f in (1, 2, 5, 10) if raw <= f * magnitude)
    return max(1.0, step)


def volume_bars(
    days: Sequence[DayVolume],
    current_label: str = "This week",
    previous_label: str = "Previous week",
) -> str:
    """Daily tickets with the previous week's same weekday as a thin ghost bar."""
    width, height = 900.0, 260.0
    left, right, top, bottom = 48.0, 12.0, 34.0, 46.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([d.volume for d in days] + [d.previous_volume for d in days] + [0])
    step = _nice_step(peak)
    y_max = step * max(1, math.ceil(peak / step))

    def y(v: float) -> float:
        return top + plot_h - v / y_max * plot_h

    parts: list[str] = []
    tick = 0.0
    while tick <= y_max + 1e-9:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            _text(left - 8, y(tick) + 4, f"{tick:,.0f}", size=11, fill=MUTED, text_anchor="end")
        )
        tick += step
    slot = plot_w / max(1, len(days))
    bar, ghost, gap = min(56.0, slot * 0.42), min(16.0, slot * 0.12), 4.0
    for i, d in enumerate(days):
        x0 = left + i * slot + (slot - bar - gap - ghost) / 2
        day = fmt.day_text(d.day)
        cur_h, prev_h = y(0) - y(d.volume), y(0) - y(d.previous_volume)
        parts.append(
            f"<g><title>{_e(f'{day}: {d.volume:,} tickets, {d.previous_volume:,} a week earlier')}"
            f'</title><rect x="{x0:.1f}" y="{y(d.volume):.1f}" width="{bar:.1f}" '
            f'height="{cur_h:.1f}" rx="3" fill="{ACCENT}"/>'
            f'<rect x="{x0 + bar + gap:.1f}" y="{y(d.previous_volume):.1f}" width="{ghost:.1f}" '
            f'height="{prev_h:.1f}" rx="2" fill="{GHOST}"/></g>'
        )
        parts.append(
            _text(
                x0 + bar / 2,
                y(d.volume) - 6,
                f"{d.volume:,}",
                size=12,
                text_anchor="middle",
                font_weight="600",
            )
        )
        centre = left + i * slot + slot / 2
        parts.append(
            _text(
                centre, height - 26, f"{d.day:%a}", size=12, text_anchor="middle", font_weight="600"
            )
        )
        parts.append(
            _text(
                centre,
                height - 10,
                f"{d.day.day} {d.day:%b}",
                size=11,
                fill=MUTED,
                text_anchor="middle",
            )
        )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    lx = width - right - 250
    parts.append(f'<rect x="{lx}" y="8" width="12" height="12" rx="2" fill="{ACCENT}"/>')
    parts.append(_text(lx + 18, 18, current_label, size=12))
    parts.append(f'<rect x="{lx + 110}" y="8" width="6" height="12" rx="1" fill="{GHOST}"/>')
    parts.append(_text(lx + 122, 18, previous_label, size=12, fill=MUTED))
    summary = ", ".join(f"{fmt.day_text(d.day)} {d.volume} ({d.previous_volume})" for d in days)
    label = f"Tickets per day, this week (previous week in brackets): {summary or 'no days'}"
    return _svg("chart-volume", width, height, label, "".join(parts))


def sparkline(values: Sequence[int], width: float = 120, height: float = 30) -> str:
    """Weekly volumes from zero, oldest first; the last point (this week) stands out."""
    pad = 4.0
    label = "Weekly tickets, oldest first: " + (", ".join(f"{v:,}" for v in values) or "none")
    if not values:
        body = (
            f'<line x1="{pad}" x2="{width - pad}" y1="{height - pad}" y2="{height - pad}" '
            f'stroke="{GRID}" stroke-dasharray="3 3"/>'
        )
        return _svg("sparkline", width, height, label, body)
    top = max(max(values), 1)
    span = (width - 2 * pad) / max(1, len(values) - 1)
    points = [
        (
            pad + (i * span if len(values) > 1 else (width - 2 * pad) / 2),
            height - pad - v / top * (height - 2 * pad),
        )
        for i, v in enumerate(values)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    base = height - pad
    area = f"{points[0][0]:.1f},{base} {line} {points[-1][0]:.1f},{base}"
    last_x, last_y = points[-1]
    body = (
        f'<polygon points="{area}" fill="{ACCENT}" fill-opacity="0.12"/>'
        f'<polyline points="{line}" fill="none" stroke="{ACCENT}" stroke-width="1.6" '
        f'stroke-linejoin="round" stroke-linecap="round"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="3" fill="{ACCENT}" '
        f'stroke="#fff" stroke-width="1"/>'
    )
    return _svg("sparkline", width, height, label, body)


def rate_bars(rate: float, baseline: float, labels: tuple[str, str], tone: str = "neutral") -> str:
    """Two thin bars on one scale: a rate (in the tone) against its reference (ghost),
    so lift reads at a glance without a number."""
    width, height, bar = 120.0, 22.0, 7.0
    top = max(rate, baseline, 1e-9)

    def length(value: float) -> float:
        return max(1.0, value / top * width) if value > 0 else 0.0

    colour = TONES[tone] if tone in ("good", "bad") else ACCENT
    label = f"{labels[0]}: {fmt.percent(rate)}; {labels[1]}: {fmt.percent(baseline)}"
    body = (
        f'<rect x="0" y="2" width="{length(rate):.1f}" height="{bar}" rx="2" fill="{colour}"/>'
        f'<rect x="0" y="{height - bar - 2}" width="{length(baseline):.1f}" height="{bar}" '
        f'rx="2" fill="{GHOST}"/>'
    )
    return _svg("rate-bars", width, height, label, body)


def delta_arrow(sign: int, tone: str, label: str) -> str:
    """The up/down marker on a KPI tile, coloured by whether the move is good."""
    colour = TONES.get(tone, TONES["neutral"])
    if sign > 0:
        shape = f'<path d="M6 1 L11 10 L1 10 Z" fill="{colour}"/>'
    elif sign < 0:
        shape = f'<path d="M6 11 L11 2 L1 2 Z" fill="{colour}"/>'
    else:
        shape = f'<rect x="1" y="5" width="10" height="2.5" rx="1" fill="{colour}"/>'
    return _svg("kpi-arrow", 12, 12, label, shape)


def anomaly_timeline(anomalies: Sequence[Anomaly], start: datetime, end: datetime, tz: str) -> str:
    """One bar per anomaly across the local week, clipped to it, coloured by severity."""
    width, left, right, top, row = 900.0, 270.0, 16.0, 30.0, 30.0
    if not anomalies:
        body = _text(
            width / 2,
            32,
            fmt.NONE_THIS_WEEK["anomalies"],
            size=13,
            fill=MUTED,
            text_anchor="middle",
        )
        return _svg("chart-timeline", width, 52, "No anomalies this week", body)
    height = top + row * len(anomalies) + 34
    plot_w = width - left - right
    total = (end - start).total_seconds() or 1.0

    def x(moment: datetime) -> float:
        offset = (moment - start).total_seconds() / total
        return left + min(1.0, max(0.0, offset)) * plot_w

    parts: list[str] = []
    midnights = fmt.week_days(start, tz)
    for i, midnight in enumerate(midnights):
        xi = x(midnight)
        parts.append(
            f'<line x1="{xi:.1f}" x2="{xi:.1f}" y1="{top - 8}" y2="{height - 30}" stroke="{GRID}"/>'
        )
        if i < 7:
            centre = (xi + x(midnights[i + 1])) / 2
            parts.append(
                _text(
                    centre,
                    top - 14,
                    f"{midnight:%a} {midnight.day}",
                    size=11,
                    fill=MUTED,
                    text_anchor="middle",
                )
            )
    for i, a in enumerate(anomalies):
        y0 = top + i * row
        if i % 2:
            parts.append(f'<rect x="0" y="{y0}" width="{width}" height="{row}" fill="#f9fafb"/>')
        x0 = x(a.start)
        x1 = max(x0 + 4, x(a.end if a.end is not None else end))
        colour = SEVERITY_COLOURS.get(a.severity, SEVERITY_COLOURS[Severity.UNSPECIFIED])
        tip = (
            f"{fmt.severity_name(a.severity)} {fmt.kind_name(a.kind)}: {fmt.anomaly_title(a)}, "
            f"{fmt.anomaly_window(a, tz)}"
        )
        parts.append(_text(8, y0 + row / 2 + 4, fmt.truncate(fmt.anomaly_title(a), 38), size=12))
        parts.append(
            f'<g><title>{_e(tip)}</title><rect x="{x0:.1f}" y="{y0 + 8}" '
            f'width="{x1 - x0:.1f}" height="{row - 16}" rx="4" fill="{colour}"/></g>'
        )
        if a.end is None or a.end > end:
            tip_x = x1 + 2
            parts.append(
                f'<path d="M{tip_x:.1f} {y0 + 8} l7 {(row - 16) / 2} l-7 '
                f'{(row - 16) / 2} Z" fill="{colour}"/>'
            )
    seen = sorted({a.severity for a in anomalies}, reverse=True)
    lx = left
    for severity in seen:
        parts.append(
            f'<rect x="{lx:.1f}" y="{height - 20}" width="12" height="12" rx="2" '
            f'fill="{SEVERITY_COLOURS.get(severity, GRID)}"/>'
        )
        name = fmt.severity_name(severity)
        parts.append(_text(lx + 17, height - 10, name, size=11, fill=MUTED))
        lx += 30 + 7 * len(name)
    if any(a.end is None or a.end > end for a in anomalies):
        parts.append(_text(lx + 8, height - 10, "▶ continues past the week", size=11, fill=MUTED))
    label = "Anomalies over the week: " + "; ".join(
        f"{fmt.severity_name(a.severity)} {fmt.kind_name(a.kind)}, {fmt.anomaly_title(a)}, "
        f"{fmt.anomaly_window(a, tz)}"
        for a in anomalies
    )
    return _svg("chart-timeline", width, height, label, "".join(parts))
