"""One anomaly scan of one tenant: hourly series from the facts, every detector,
and the folding of findings that describe the same incident twice.

Series 0 is the whole tenant, series 1.. are its issues. Each metric is indexed by
the hour its value became known (created for volume and sentiment, the first reply
for first response time, the last solve for FCR, reopen and CSAT), so a recent hour
is never judged on the few tickets that happened to finish early.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ticketminer.anomalies.emerging import EmergingDetector
from ticketminer.anomalies.hourly import DAY_US, count_matrix
from ticketminer.anomalies.lifecycle import OPEN_END
from ticketminer.anomalies.shift import DurationShiftDetector, ProportionShiftDetector
from ticketminer.anomalies.slices import Slice, candidate_slices, mix_shift, slice_matrix
from ticketminer.anomalies.surge import SurgeDetector
from ticketminer.domain.anomalies import (
    FCR,
    FIRST_RESPONSE_TIME,
    LOW_CSAT_SHARE,
    NEGATIVE_SHARE,
    REOPEN_RATE,
    VOLUME,
    AnomalyKind,
    AnomalyPoint,
    Detection,
)
from ticketminer.domain.cancellation import raise_if_cancelled
from ticketminer.services.incident_folding import fold_incidents
from ticketminer.services.scan_findings import (
    BadRows,
    Finding,
    ScanInput,
    event_us,
)

__all__ = ["SURGE_WINDOWS_HOURS", "Finding", "Scan", "ScanInput", "event_us"]

SERIES_CONTEXT_BEFORE = 72  # hours of series kept before an anomaly, for GetAnomaly
SERIES_CONTEXT_AFTER = 24
RARE_PER_DAY = 0.25  # an issue quieter than this before a surge is "emerging"
# A surge must bring at least this many extra tickets: a handful of tickets in an
# hour can be statistically odd on a quiet issue, yet nobody should be paged for it.
MIN_EXCESS_TICKETS = 8
# Ticket volumes get a 72 h scan window on top of the detector's 1, 6 and 24 h: at 5
# tickets a day a x3 surge over three days is certain on 72 h and doubtful on 24 h
# (synthetic recall 0.5 -> 0.83 at 5/day, same false-alarm rate; on NAB the same
# windows caught as many and raised fewer false alarms). Its echoes after a surge are
# a few tickets, which MIN_EXCESS_TICKETS drops.
SURGE_WINDOWS_HOURS = (1, 6, 24, 72)
# The surge detector's own alarm and continuation scores, which slices raise by the
# log of their number.
SLICE_THRESHOLD = 5.0
SLICE_HYSTERESIS = 2.0
# Slices watch sustained rises only: an hour's burst in a small slice is a customer
# writing three times, and the issues' own 1 h window sees a real spike.
SLICE_WINDOWS_HOURS = (6, 24, 72)
# A slice reports a surge of at least this ratio over its event: the incidents it is
# for are several-fold rises (the targets are x3 and up) spread over issues; a slice
# of a few tickets an hour moving by half is ordinary noise the issues absorb.
SLICE_MIN_RATIO = 2.5


@dataclass(frozen=True, slots=True)
class _Metric:
    name: str
    kind: AnomalyKind
    event_time: str
    direction: str


class SeriesIndex:
    """Maps issue ids to series rows: 0 is the tenant, then one row per issue; KPI
    matrices add one row per channel after those (`n` rows), because a regression in
    one channel (slow e-mail replies) is diluted in every issue and in the tenant."""

    def __init__(self, issue_column: np.ndarray, channels: tuple[str, ...] = ()) -> None:
        ids = np.unique(issue_column)
        self.issue_ids = [int(i) for i in ids if i > 0]
        size = (int(ids.max()) + 1) if len(ids) else 1
        self._row = np.full(size, -1, dtype=np.int64)
        self._row[self.issue_ids] = np.arange(1, len(self.issue_ids) + 1)
        self.of_rows = self._row[issue_column] if len(issue_column) else issue_column
        self.n = len(self.issue_ids) + 1
        self.channels = channels
        self.rows = {issue: row for row, issue in enumerate(self.issue_ids, start=1)}

    def issue_of(self, series: int) -> int | None:
        return None if series == 0 or series >= self.n else self.issue_ids[series - 1]

    def scope_of(self, series: int) -> str:
        """How a summary names a channel row's scope ("" for the tenant and issues)."""
        return f"in channel '{self.channels[series - self.n]}'" if series >= self.n else ""


def _with_tenant(per_issue: np.ndarray) -> np.ndarray:
    """Row 0 becomes the tenant (its own row plus every issue's), in place: callers pass a
    fresh matrix, and a copy of a year of hours costs more than the sum."""
    per_issue[0] = per_issue[1:].sum(axis=0) + per_issue[0]
    return per_issue


class Scan:
    """Runs every detector over one tenant's grid; `findings` is the result."""

    def __init__(self, data: ScanInput, *, trailing_days: int = 28) -> None:
        self.data = data
        self.trailing_days = trailing_days
        self.index = SeriesIndex(data.issue_column, data.facts.channel.values)
        self.series: dict[tuple[str, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.findings: list[Finding] = []
        self._how: np.ndarray | None = None
        self._counts: np.ndarray | None = None  # tickets per (series, hour)
        self._extra_expected = np.zeros((0, 0))

    def _steps(self, which: str) -> np.ndarray:
        return self.data.grid.step_of(event_us(self.data.facts, which))

    def _matrix(self, steps: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        # Row 0 collects nothing per issue; _with_tenant then adds every row into it.
        rows = np.where(self.index.of_rows > 0, self.index.of_rows, 0)
        grid = self.data.grid
        return _with_tenant(count_matrix(rows, steps, self.index.n, grid.n_steps, weights))

    def _kpi_matrix(self, steps: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """`_matrix` plus one row per channel."""
        grid = self.data.grid
        codes = self.data.facts.channel.codes.astype(np.int64)
        per_channel = count_matrix(codes, steps, len(self.index.channels), grid.n_steps, weights)
        return np.vstack([self._matrix(steps, weights), per_channel])

    def run(self) -> list[Finding]:
        for detect in (self._volume, self._proportions, self._first_response):
            raise_if_cancelled()  # a scan for a caller who gave up stops between detectors
            detect()
        found = _fold(self.findings)
        raise_if_cancelled()
        found += self._slices() + self._groups()
        self.findings = fold_incidents(found, self.data, self.trailing_days)
        return self.findings

    def _hour_of_week(self) -> np.ndarray:
        if self._how is None:
            self._how = self.data.grid.hour_of_week()
        return self._how

    def _detection(
        self, kind: AnomalyKind, metric: str, event, n: int, view, issue_id: int | None
    ) -> Detection:
        grid = self.data.grid
        lo = max(0, event.start - SERIES_CONTEXT_BEFORE)
        hi = min(grid.n_steps, event.end + SERIES_CONTEXT_AFTER)
        obs, exp, count = view
        points = tuple(
            AnomalyPoint(grid.time_of(t), float(obs[t]), float(exp[t]), int(count[t]))
            for t in range(lo, hi)
        )
        return Detection(
            kind=kind,
            metric=metric,
            issue_id=issue_id,
            start=grid.time_of(event.start),
            detected_at=grid.time_of(event.detected),
            end=None if event.ongoing else grid.time_of(event.end),
            observed=float(event.observed),
            expected=float(event.expected),
            pvalue=float(event.pvalue),
            score=float(event.score),
            tickets=n,
            series=points,
        )

    def _volume(self) -> None:
        counts = self._counts = self._matrix(self._steps("created"))
        surge = SurgeDetector(
            trailing_days=self.trailing_days, windows_hours=SURGE_WINDOWS_HOURS
        ).fit(counts, self._hour_of_week())
        for e in surge.events_:
            if e.observed - e.expected < MIN_EXCESS_TICKETS:
                continue
            s = e.series
            before = counts[s, max(0, e.start - self.trailing_days * 24) : e.start]
            rare = s > 0 and before.sum() < RARE_PER_DAY * self.trailing_days
            kind = AnomalyKind.EMERGING_ISSUE if rare else AnomalyKind.VOLUME_SURGE
            view = (counts[s], surge.expected_[s], counts[s])
            self._add(kind, VOLUME, e, int(e.observed), view, "created", None)
        emerging = EmergingDetector().fit(counts[1:])
        for e in emerging.events_:
            if e.observed - e.expected < MIN_EXCESS_TICKETS:
                continue
            e = _shift_series(e, 1)
            floor = np.full(counts.shape[1], e.expected / max(e.end - e.start, 1))
            view = (counts[e.series], floor, counts[e.series])
            self._add(AnomalyKind.EMERGING_ISSUE, VOLUME, e, int(e.observed), view, "created", None)

    def _proportions(self) -> None:
        f = self.data.facts
        fcr = f.fcr if self.data.fcr is None else self.data.fcr
        specs = (
            (_Metric(FCR, AnomalyKind.KPI_DEGRADATION, "solved", "down"), fcr >= 0, fcr == 1),
            (
                _Metric(REOPEN_RATE, AnomalyKind.KPI_DEGRADATION, "solved", "up"),
                f.ever_solved.astype(bool),
                f.reopened.astype(bool),
            ),
            (
                _Metric(LOW_CSAT_SHARE, AnomalyKind.KPI_DEGRADATION, "solved", "up"),
                f.csat > 0,
                (f.csat > 0) & (f.csat <= 2),
            ),
            (
                _Metric(NEGATIVE_SHARE, AnomalyKind.SENTIMENT_SURGE, "created", "up"),
                self.data.negative >= 0,
                self.data.negative == 1,
            ),
        )
        for metric, trial, success in specs:
            steps = self._steps(metric.event_time)
            trials = self._kpi_matrix(steps, trial.astype(float))
            hits = self._kpi_matrix(steps, (trial & success).astype(float))
            det = ProportionShiftDetector(
                direction=metric.direction, trailing_days=self.trailing_days
            ).fit(hits, trials)
            bad_is_success = metric.direction == "up"
            for e in det.events_:
                rate = np.full(trials.shape[1], np.nan)
                np.divide(hits[e.series], trials[e.series], out=rate, where=trials[e.series] > 0)
                view = (rate, det.expected_[e.series], trials[e.series])
                bad = _bad_rows(trial, success, bad_is_success)
                self._add(metric.kind, metric.name, e, int(e.n), view, metric.event_time, bad)

    def _first_response(self) -> None:
        f = self.data.facts
        steps = self._steps("responded")
        values = f.first_response_s
        known = ~np.isnan(values) & (steps >= 0)
        rows = np.where(self.index.of_rows > 0, self.index.of_rows, 0)
        channel_rows = self.index.n + f.channel.codes.astype(np.int64)
        # Every response counts for its issue, the tenant (series 0) and its channel.
        series = np.concatenate(
            [rows[known], np.zeros(int(known.sum()), dtype=np.int64), channel_rows[known]]
        )
        step = np.tile(steps[known], 3)
        vals = np.tile(values[known], 3)
        grid = self.data.grid
        n_series = self.index.n + len(self.index.channels)
        det = DurationShiftDetector(direction="up", trailing_days=self.trailing_days).fit(
            vals, series, step, n_series, grid.n_steps, grid.hour_of_week()
        )
        n = count_matrix(series, step, n_series, grid.n_steps)
        total = count_matrix(series, step, n_series, grid.n_steps, vals)
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        for e in det.events_:
            view = (mean[e.series], det.expected_[e.series], n[e.series])
            bad = _slow_rows(values, f.channel.codes)
            kind = AnomalyKind.KPI_DEGRADATION
            self._add(kind, FIRST_RESPONSE_TIME, e, int(e.n), view, "responded", bad)

    def _slices(self) -> list[Finding]:
        """Volume surges of attribute slices (see `anomalies.slices`): they catch an
        incident whose tickets spread over several issues but share a cause."""
        columns = self.data.slice_columns
        grid = self.data.grid
        slices = candidate_slices(columns, grid.n_steps / 24)
        if not slices:
            return []
        counts = slice_matrix(slices, columns, self._steps("created"), grid.n_steps)
        trailing = self.trailing_days * DAY_US
        created = self.data.facts.created_us
        out = []
        for e in self._extra_surges(counts, SLICE_WINDOWS_HOURS, SLICE_MIN_RATIO):
            found: Slice = slices[e.series]
            rows = found.rows(columns)
            window = (grid.us_of(e.start), grid.us_of(e.end))
            if mix_shift(rows, found.population(columns), created, window, trailing, grid.end_us):
                continue
            d = self._extra_detection(e, counts, None)
            out.append(
                Finding(d, "created", None, scope=f"in {found.label}", scope_rows=rows, slice=found)
            )
        return out

    def _groups(self) -> list[Finding]:
        """Volume surges of issue groups (see `anomalies.issue_groups`): they catch a
        problem split over neighbouring issues, none of which surges enough alone."""
        groups = [g for g in self.data.issue_groups if all(i in self.index.rows for i in g)]
        if not groups or self._counts is None:
            return []
        counts = np.stack(
            [self._counts[[self.index.rows[i] for i in g]].sum(axis=0) for g in groups]
        )
        out = []
        for e in self._extra_surges(counts, SURGE_WINDOWS_HOURS, 1.0):
            members = groups[e.series]
            rows = np.isin(self.data.issue_column, members)
            d = self._extra_detection(e, counts, None)
            scope = "of issues " + ", ".join(f"#{i}" for i in members)
            out.append(Finding(d, "created", None, members, scope, rows, members=members))
        return out

    def _extra_surges(self, counts: np.ndarray, windows: tuple[int, ...], min_ratio: float) -> list:
        """Surge events of extra looks at the tickets (slices, issue groups): together
        they get one series' false-alarm budget (Bonferroni over them); they report
        rises of `min_ratio` or more."""
        threshold = SLICE_THRESHOLD + math.log10(len(counts))
        surge = SurgeDetector(
            trailing_days=self.trailing_days,
            windows_hours=windows,
            threshold=threshold,
            continue_threshold=threshold - SLICE_HYSTERESIS,
        ).fit(counts, self._hour_of_week())
        self._extra_expected = surge.expected_
        return [
            e
            for e in surge.events_
            if e.observed - e.expected >= MIN_EXCESS_TICKETS
            and e.observed >= min_ratio * e.expected
        ]

    def _extra_detection(self, e, counts: np.ndarray, issue_id: int | None) -> Detection:
        view = (counts[e.series], self._extra_expected[e.series], counts[e.series])
        return self._detection(AnomalyKind.VOLUME_SURGE, VOLUME, e, int(e.observed), view, issue_id)

    def _add(self, kind, metric, event, n, view, event_time, bad) -> None:
        issue_id = self.index.issue_of(event.series)
        detection = self._detection(kind, metric, event, n, view, issue_id)
        scope = self.index.scope_of(event.series)
        rows = self._scope_rows(event.series, issue_id)
        self.findings.append(Finding(detection, event_time, bad, scope=scope, scope_rows=rows))

    def _scope_rows(self, series: int, issue_id: int | None) -> np.ndarray | None:
        if issue_id is not None:
            return self.data.issue_column == issue_id
        if series >= self.index.n:  # a channel's row
            return self.data.facts.channel.codes == series - self.index.n
        return None


def _shift_series(e, by: int):
    return replace(e, series=e.series + by)


def _bad_rows(trial: np.ndarray, success: np.ndarray, bad_is_success: bool) -> BadRows:
    bad = trial & (success if bad_is_success else ~success)
    return lambda rows, _reference: bad[rows]


def _slow_rows(values: np.ndarray, channel: np.ndarray) -> BadRows:
    """A reply is "slow" when it took over twice the usual time *of its channel* in the
    reference (baseline) tickets: e-mail is always slower than chat, and that is not
    the incident."""

    def slow(rows: np.ndarray, reference: np.ndarray) -> np.ndarray:
        limit = np.full(int(channel.max()) + 1 if len(channel) else 1, np.inf)
        ref_values = values[reference]
        for c in np.unique(channel[reference]):
            known = ref_values[(channel[reference] == c) & ~np.isnan(ref_values)]
            if len(known):
                limit[c] = 2.0 * float(np.median(known))
        return np.nan_to_num(values[rows], nan=-1.0) > limit[channel[rows]]

    return slow


def _overlap(a: Detection, b: Detection) -> bool:
    return a.start < (b.end or OPEN_END) and b.start < (a.end or OPEN_END)


def _fold(findings: list[Finding]) -> list[Finding]:
    """Keep the most specific account of each incident.

    - Same metric and scope twice (e.g. the emerging rule and a surge on a new
      issue): one, the earliest start; "emerging" wins over "surge" for a new issue.
    - Volume is additive: a tenant-wide surge that an issue-level surge at the same
      time explains (half its excess or more) is that issue's surge, reported once.
    - KPIs are not additive: a tenant-wide regression (a slow channel) shows up in
      every issue; the issue-level copies fold into it and are listed as its issues.
    """
    findings = _dedupe(findings)
    tenant = [f for f in findings if f.detection.issue_id is None]
    issue = [f for f in findings if f.detection.issue_id is not None]
    kept_tenant = []
    for t in tenant:
        d = t.detection
        if d.metric == VOLUME:
            excess = d.observed - d.expected
            covered = sum(
                f.detection.observed - f.detection.expected
                for f in issue
                if f.detection.metric == VOLUME and _overlap(f.detection, d)
            )
            if excess <= 0 or covered >= 0.5 * excess:
                continue
        kept_tenant.append(t)
    kept_issue, folded = [], {id(t): [] for t in kept_tenant}
    for f in issue:
        host = next(
            (
                t
                for t in kept_tenant
                if t.detection.metric == f.detection.metric
                and t.detection.metric != VOLUME
                and _overlap(t.detection, f.detection)
            ),
            None,
        )
        if host is None:
            kept_issue.append(f)
        else:
            folded[id(host)].append(f.detection.issue_id)
    out = [replace(t, issue_ids=tuple(sorted(set(folded[id(t)])))) for t in kept_tenant]
    return out + kept_issue


def _dedupe(findings: list[Finding]) -> list[Finding]:
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.detection.start, -f.detection.score)):
        twin = next(
            (
                o
                for o in out
                if o.detection.key == f.detection.key and _overlap(o.detection, f.detection)
            ),
            None,
        )
        if twin is None:
            out.append(f)
        elif f.detection.kind == AnomalyKind.EMERGING_ISSUE:
            # The incident's first report stands; only its name changes.
            kept = replace(twin.detection, kind=AnomalyKind.EMERGING_ISSUE)
            out[out.index(twin)] = replace(twin, detection=kept)
    return out
