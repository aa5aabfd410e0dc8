"""One incident, one anomaly: match each scan's detections to stored anomalies.

A scan recomputes detections over its whole window, so the same incident comes back
at every scan; matching it to its stored row (same kind, metric and issue, windows
overlapping or within a short gap) keeps its id and walks it through
open -> ongoing -> resolved instead of raising a new alert every hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ticketminer.domain.anomalies import (
    FIRST_RESPONSE_TIME,
    VOLUME,
    Anomaly,
    AnomalyKind,
    AnomalyStatus,
    Detection,
    Severity,
)

MERGE_GAP = timedelta(hours=12)
OPEN_END = datetime(9000, 1, 1, tzinfo=UTC)  # stands in for "not ended"


@dataclass(frozen=True, slots=True)
class Reconciled:
    new: list[Detection]
    continued: list[tuple[Anomaly, Detection]]  # stored anomaly and its fresh detection
    ended: list[Anomaly]  # active before, not detected any more


def _overlaps(a: Anomaly, d: Detection, gap: timedelta) -> bool:
    a_end = a.end or OPEN_END
    d_end = d.end or OPEN_END
    return a.start <= d_end + gap and d.start <= a_end + gap


def reconcile(
    detections: list[Detection],
    stored: list[Anomaly],
    gap: timedelta = MERGE_GAP,
) -> Reconciled:
    """Pair detections with stored anomalies (same metric and scope, windows
    overlapping or within `gap`). An active anomaly the scan no longer sees has
    ended, however old its start: its baseline has absorbed it or it stopped."""
    by_key: dict[tuple, list[Anomaly]] = {}
    for a in sorted(stored, key=lambda a: (a.start, a.anomaly_id)):
        by_key.setdefault((a.metric, a.issue_id), []).append(a)
    used: set[int] = set()
    new, continued = [], []
    order = sorted(detections, key=lambda d: (d.start, d.metric, d.issue_id or 0))
    for d in order:
        match = next(
            (a for a in by_key.get(d.key, []) if a.anomaly_id not in used and _overlaps(a, d, gap)),
            None,
        )
        if match is None:
            new.append(d)
        else:
            used.add(match.anomaly_id)
            continued.append((match, d))
    ended = [a for a in stored if a.status.active and a.anomaly_id not in used]
    return Reconciled(new, continued, ended)


def next_status(previous: AnomalyStatus | None, detection: Detection) -> AnomalyStatus:
    if detection.end is not None:
        return AnomalyStatus.RESOLVED
    return AnomalyStatus.OPEN if previous is None else AnomalyStatus.ONGOING


def severity(kind: AnomalyKind, metric: str, observed: float, expected: float) -> Severity:
    """By how far the metric moved: a ratio for counts and durations, points for rates."""
    if metric == VOLUME or kind == AnomalyKind.EMERGING_ISSUE:
        # Both how many times and how many more: x1.5 of thousands is a lot of people.
        ratio = observed / max(expected, 1e-9)
        excess = observed - expected
        if excess < 5:
            return Severity.LOW
        if (ratio >= 5 and excess >= 20) or excess >= 1000:
            return Severity.CRITICAL
        if ratio >= 3 or excess >= 200:
            return Severity.HIGH
        return Severity.MEDIUM if ratio >= 1.5 or excess >= 50 else Severity.LOW
    if metric == FIRST_RESPONSE_TIME:
        ratio = observed / max(expected, 1e-9)
        if ratio >= 5:
            return Severity.CRITICAL
        if ratio >= 3:
            return Severity.HIGH
        return Severity.MEDIUM if ratio >= 1.5 else Severity.LOW
    moved = abs(observed - expected)  # every other metric is a rate, 0 to 1
    if moved >= 0.3:
        return Severity.CRITICAL
    if moved >= 0.15:
        return Severity.HIGH
    return Severity.MEDIUM if moved >= 0.05 else Severity.LOW
