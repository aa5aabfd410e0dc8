"""One incident, one anomaly: fold detections that share their excess.

A storm at one carrier raises its issue's volume, the share of angry tickets on the
phone line and the volume of the carrier's slice, all at once. Those are three
detections of one incident, and a support lead wants one alert that lists what it
spans. Two detections belong together when they overlap in time and most of the
*excess* of one (its tickets above the baseline, or its "bad" tickets above the
baseline rate) lies in the other's tickets. Counting excess rather than raw tickets
keeps a channel that always carries a quarter of an issue from tying that issue to
an unrelated regression of the channel.

Inside a group the anomaly is reported by a volume detection if there is one (it
says how many more tickets came), an issue's own surge when it carries at least half
of the group's largest excess (its root cause is localised inside the issue), else
the largest; it lists every issue the group spans.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np

from ticketminer.anomalies.hourly import DAY_US
from ticketminer.anomalies.lifecycle import OPEN_END
from ticketminer.domain.anomalies import VOLUME
from ticketminer.domain.timeutil import to_us
from ticketminer.services.scan_findings import Finding, ScanInput, event_us

ECHO_GAP = timedelta(hours=48)
FOLD_SHARE = 0.5  # of one detection's excess inside the other's tickets
ISSUE_LEAD_SHARE = 0.5  # an issue's surge reports the group from this share of the top excess
MAX_LISTED_ISSUES = 8
ISSUES_COVER = 0.8  # a slice lists the issues holding this share of its excess


@dataclass(frozen=True, slots=True)
class _Footprint:
    """Where a detection's excess is, as masks over the facts rows."""

    scope: np.ndarray | None  # None: the whole tenant
    window: np.ndarray  # rows whose event falls in the detection's window
    trailing: np.ndarray  # rows in the baseline before it
    hits: np.ndarray | None  # "bad" rows for a KPI; None for volume
    scale: float  # window length / trailing length (volume)
    rate: float  # the scope's bad rate in the baseline (KPI)
    volume: bool

    def excess(self, within: np.ndarray | None = None) -> float:
        inside = self.window if within is None else self.window & within
        before = self.trailing if within is None else self.trailing & within
        if self.scope is not None:
            inside, before = inside & self.scope, before & self.scope
        if self.volume:
            return float(inside.sum()) - float(before.sum()) * self.scale
        assert self.hits is not None
        return float((inside & self.hits).sum()) - float(inside.sum()) * self.rate


def _footprint(f: Finding, data: ScanInput, times: np.ndarray, trailing_us: int) -> _Footprint:
    d = f.detection
    lo = to_us(d.start)
    hi = to_us(d.end) if d.end is not None else min(data.grid.end_us, to_us(OPEN_END))
    window = (times >= lo) & (times < hi)
    trailing = (times >= lo - trailing_us) & (times < lo)
    scope = f.scope_rows
    if f.bad is None:
        scale = (hi - lo) / trailing_us
        return _Footprint(scope, window, trailing, None, scale, 0.0, True)
    everything = np.arange(len(times))
    reference = np.flatnonzero(trailing if scope is None else trailing & scope)
    hits = f.bad(everything, reference)
    base = float(hits[reference].mean()) if len(reference) else 0.0
    return _Footprint(scope, window, trailing, hits, 0.0, base, False)


def _overlap(a: Finding, b: Finding) -> bool:
    """Overlapping in time, or within ECHO_GAP: the late re-contacts of an incident
    are a small second wave of the same tickets' slice."""
    da, db = a.detection, b.detection
    return da.start < (db.end or OPEN_END) + ECHO_GAP and db.start < (da.end or OPEN_END) + ECHO_GAP


def _hosts(host: Finding, guest: Finding) -> bool:
    """Whether `host`'s tickets can hold another metric's excess: the whole tenant
    holds every excess, so a tenant-wide detection hosts only its own metric."""
    return host.scope_rows is not None or host.detection.metric == guest.detection.metric


class _Groups:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)


def fold_incidents(findings: list[Finding], data: ScanInput, trailing_days: int) -> list[Finding]:
    """Findings grouped by shared excess, one per group (see the module docstring)."""
    if not findings:
        return findings
    trailing_us = trailing_days * DAY_US
    times = {which: event_us(data.facts, which) for which in {f.event_time for f in findings}}
    prints = [_footprint(f, data, times[f.event_time], trailing_us) for f in findings]
    excess = [max(p.excess(), 0.0) for p in prints]
    groups = _Groups(len(findings))
    for i, a in enumerate(findings):
        for j in range(i + 1, len(findings)):
            b = findings[j]
            if not _overlap(a, b):
                continue
            if _shares(prints[i], excess[i], findings[j], a) or _shares(prints[j], excess[j], a, b):
                groups.join(i, j)
    members: dict[int, list[int]] = {}
    for i in range(len(findings)):
        members.setdefault(groups.find(i), []).append(i)
    out = []
    for group in members.values():
        lead = _lead(findings, excess, group)
        out.append(_reported(findings, prints, lead, group, data))
    return sorted(out, key=lambda f: (f.detection.start, f.detection.metric))


def _shares(guest: _Footprint, guest_excess: float, host: Finding, guest_finding: Finding) -> bool:
    if guest_excess <= 0 or not _hosts(host, guest_finding):
        return False
    return guest.excess(host.scope_rows) >= FOLD_SHARE * guest_excess


def _lead(findings: list[Finding], excess: list[float], group: list[int]) -> int:
    volume = [i for i in group if findings[i].detection.metric == VOLUME]
    pool = volume or group
    top = max(pool, key=lambda i: (excess[i], -i))
    issues = [i for i in pool if findings[i].detection.issue_id is not None]
    if issues:
        best = max(issues, key=lambda i: (excess[i], -i))
        if excess[best] >= ISSUE_LEAD_SHARE * excess[top]:
            return best
    return top


def _reported(
    findings: list[Finding],
    prints: list[_Footprint],
    lead: int,
    group: list[int],
    data: ScanInput,
) -> Finding:
    f = findings[lead]
    issues: list[int] = list(f.issue_ids)
    if f.detection.issue_id is not None:
        issues.insert(0, f.detection.issue_id)
    if f.slice is not None:
        issues += touched_issues(prints[lead], data.issue_column)
    for i in group:
        if i == lead:
            continue
        other = findings[i]
        if other.detection.issue_id is not None:
            issues.append(other.detection.issue_id)
        issues += other.issue_ids
    listed = tuple(dict.fromkeys(issues))[:MAX_LISTED_ISSUES]
    related = tuple(findings[i].detection for i in group if i != lead)
    return replace(f, issue_ids=listed, related=f.related + related)


def touched_issues(footprint: _Footprint, issue_column: np.ndarray) -> list[int]:
    """The issues holding most of a slice's excess, largest share first."""
    scope = footprint.window if footprint.scope is None else footprint.window & footprint.scope
    before = footprint.trailing if footprint.scope is None else footprint.trailing & footprint.scope
    size = int(issue_column.max()) + 1 if len(issue_column) else 1
    now = np.bincount(issue_column[scope], minlength=size).astype(float)
    past = np.bincount(issue_column[before], minlength=size).astype(float)
    gain = now - past * footprint.scale
    gain[0] = 0.0  # unassigned tickets are no issue
    order = [int(i) for i in np.argsort(-gain, kind="stable") if gain[i] > 0]
    total = float(gain[gain > 0].sum())
    out, covered = [], 0.0
    for i in order:
        if covered >= ISSUES_COVER * total:
            break
        out.append(i)
        covered += gain[i]
    return out
