"""The one readable sentence an on-call engineer sees first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from ticketminer.domain.anomalies import (
    FCR,
    FIRST_RESPONSE_TIME,
    LOW_CSAT_SHARE,
    NEGATIVE_SHARE,
    REOPEN_RATE,
    VOLUME,
    AnomalyKind,
    RootCauseCandidate,
    TermLift,
)

_METRIC = {
    VOLUME: "Tickets",
    FIRST_RESPONSE_TIME: "First response time",
    FCR: "First-contact resolution",
    REOPEN_RATE: "Reopen rate",
    LOW_CSAT_SHARE: "Low-CSAT share",
    NEGATIVE_SHARE: "Negative-sentiment share",
}
_RATES = (FCR, REOPEN_RATE, LOW_CSAT_SHARE, NEGATIVE_SHARE)


def _value(metric: str, value: float) -> str:
    if metric in _RATES:
        return f"{value:.0%}"
    if metric == FIRST_RESPONSE_TIME:
        return f"{value / 3600:.1f} h" if value >= 3600 else f"{value / 60:.0f} min"
    return f"{value:.0f}"


def _change(metric: str, observed: float, expected: float) -> str:
    if metric in _RATES or metric == FIRST_RESPONSE_TIME:
        return f"{_value(metric, expected)} -> {_value(metric, observed)}"
    if expected <= 0:
        return f"{observed:.0f} tickets"
    return f"up {observed / expected - 1:.0%} ({observed:.0f} vs {expected:.1f} expected)"


def summarize(
    kind: AnomalyKind,
    metric: str,
    scope: str,
    start: datetime,
    observed: float,
    expected: float,
    causes: Sequence[RootCauseCandidate],
    terms: Sequence[TermLift],
    time_zone: str = "UTC",
    also: Sequence[tuple[str, float, float]] = (),
) -> str:
    """E.g. "Tickets of 'shipping delay' up 320 % (...) since 2026-11-10 09:00 UTC; 81 % of
    the excess is carrier=SF, region=华南; words: 暴雨, 停运". The start is given in
    `time_zone` (the tenant's, when it has one), named after it. `also` is what else
    the same incident moved, (metric, observed, expected) each."""
    lead = "New issue" if kind == AnomalyKind.EMERGING_ISSUE else _METRIC.get(metric, metric)
    text = f"{lead} {scope}: {_change(metric, observed, expected)}"
    local = start.astimezone(ZoneInfo(time_zone))
    text += f" since {local:%Y-%m-%d %H:%M} {time_zone}"
    if causes:
        top = causes[0]
        dims = ", ".join(f"{k}={v}" for k, v in top.dims)
        text += f"; {top.explained_share:.0%} of the excess is {dims}"
    if also:
        moved = [f"{_METRIC.get(m, m).lower()} {_change(m, o, e)}" for m, o, e in also]
        text += "; also " + ", ".join(moved)
    if terms:
        text += "; words: " + ", ".join(t.term for t in terms[:4])
    return text
