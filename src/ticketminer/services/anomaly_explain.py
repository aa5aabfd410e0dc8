"""Why an anomaly happened: root-cause candidates, over-represented words, evidence.

Every ticket becomes a leaf of the attribute cube. For a volume anomaly the
anomaly-window tickets are the observed counts and the trailing-baseline tickets,
scaled to the detector's expectation, are the expected ones; for a KPI anomaly the
"bad" tickets (not resolved at first contact, slow, negative...) are observed and
each window ticket's own leaf's past bad rate is expected. One localiser then
ranks the attribute combinations for both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ticketminer.anomalies.hourly import DAY_US
from ticketminer.anomalies.rootcause import DEFAULT_MAX_CELLS, RootCause, RootCauseLocalizer
from ticketminer.anomalies.terms import term_lifts
from ticketminer.domain.anomalies import (
    VOLUME,
    TermLift,
)
from ticketminer.domain.timeutil import to_us
from ticketminer.metrics.facts_table import Categorical
from ticketminer.services.scan_findings import Finding, ScanInput, event_us

EVIDENCE = 12
TERM_SAMPLE = 400
MAX_CANDIDATES = 5
PRIOR_SHARE = 0.1
RATE_PRIOR_TICKETS = 5.0  # pseudo-tickets at the overall rate in every leaf's past rate
MIN_BASELINE_TICKETS = 30  # fewer, and an issue's own past says nothing about its mix
NEW_ISSUE_MIX_SHARE = 0.5
BROADER_MARGIN = 0.1
# ...unless the finer cause rose this many times as sharply as the rest of the broader
# one: then the excess really is in it, and the broader one only adds a little.
SHARPER_RATIO = 2.0


@dataclass(frozen=True, slots=True)
class Cube:
    """The dimensions a root cause may name, as code columns over the facts rows."""

    names: list[str]
    columns: list[np.ndarray]
    categories: list[tuple[str, ...]]

    def codes(self, rows: np.ndarray) -> np.ndarray:
        if not self.columns:
            return np.zeros((len(rows), 0), dtype=np.int64)
        return np.column_stack([c[rows] for c in self.columns]).astype(np.int64)

    def matches(self, rows: np.ndarray, dims: Sequence[tuple[str, str]]) -> np.ndarray:
        ok = np.ones(len(rows), dtype=bool)
        for key, value in dims:
            j = self.names.index(key)
            try:
                code = self.categories[j].index(value)
            except ValueError:
                return np.zeros(len(rows), dtype=bool)
            ok &= self.columns[j][rows] == code
        return ok


def build_cube(
    data: ScanInput, attribute_keys: Sequence[str], attribute: Callable[[str], Categorical]
) -> Cube:
    facts = data.facts
    names, columns, categories = ["channel"], [facts.channel.codes], [facts.channel.values]
    for key in attribute_keys:
        cat = attribute(key)
        names.append(key)
        columns.append(cat.codes)
        categories.append(cat.values)
    issues = data.issue_column.astype(np.int64)
    values = tuple(str(i) for i in range(int(issues.max()) + 1 if len(issues) else 1))
    # Unassigned tickets (0) have no issue to blame.
    names.append("issue")
    columns.append(np.where(issues > 0, issues, -1))
    categories.append(values)
    return Cube(names, columns, categories)


@dataclass(frozen=True, slots=True)
class Explanation:
    root_causes: tuple[RootCause, ...]
    terms: tuple[TermLift, ...]
    evidence_pks: tuple[int, ...]
    candidate_pks: tuple[tuple[int, ...], ...]


class Explainer:
    def __init__(
        self,
        data: ScanInput,
        cube: Cube,
        tokens_of: Callable[[list[int]], dict[int, str]],
        trailing_days: int = 28,
        max_cells: int = DEFAULT_MAX_CELLS,
    ) -> None:
        self._max_cells = max_cells
        self._data = data
        self._cube = cube
        self._tokens_of = tokens_of
        self._trailing_us = trailing_days * DAY_US
        self._times: dict[str, np.ndarray] = {}

    def _time(self, which: str) -> np.ndarray:
        if which not in self._times:
            self._times[which] = event_us(self._data.facts, which)
        return self._times[which]

    def _rows(self, finding: Finding, lo_us: int, hi_us: int, scoped: bool = True) -> np.ndarray:
        t = self._time(finding.event_time)
        mask = (t >= lo_us) & (t < hi_us)
        issue = finding.detection.issue_id
        if scoped and issue is not None:
            mask &= self._data.issue_column == issue
        elif scoped and finding.members:
            mask &= np.isin(self._data.issue_column, finding.members)
        return np.flatnonzero(mask)

    def explain(self, finding: Finding) -> Explanation:
        d = finding.detection
        start = to_us(d.start)
        end = to_us(d.end) if d.end is not None else self._data.grid.end_us
        window = self._rows(finding, start, end)
        baseline = self._rows(finding, start - self._trailing_us, start)
        total = d.expected
        if finding.slice is not None:
            # A slice's surge is explained against the whole tenant: everything but the
            # slice's excess was expected, and the localiser says where the excess is
            # (the slice, or a finer cell of it).
            total = len(window) - (d.observed - d.expected)
        elif d.metric == VOLUME and len(baseline) < MIN_BASELINE_TICKETS:
            # A new issue has (almost) no past of its own, and its expectation is a
            # floor of a few tickets, too little to tell a combination from its parent.
            # Ask instead which values its tickets concentrate in against the tenant's
            # usual mix, sized to half of them.
            baseline = self._rows(finding, start - self._trailing_us, start, scoped=False)
            total = max(d.expected, NEW_ISSUE_MIX_SHARE * len(window))
        cube = self._cube if d.issue_id is None else _without(self._cube, "issue")
        rows, observed, expected, focus = self._leaves(finding, cube, window, baseline, total)
        found = _localise(cube, rows, observed, expected, self._max_cells)
        candidate_pks = tuple(self._evidence(cube, window, focus, c.dims) for c in found)
        evidence = self._evidence(cube, window, focus, found[0].dims if found else ())
        terms = self._terms(window, baseline)
        return Explanation(tuple(found), terms, evidence, candidate_pks)

    def _leaves(
        self,
        finding: Finding,
        cube: Cube,
        window: np.ndarray,
        baseline: np.ndarray,
        total: float,
    ):
        if finding.bad is None:
            rows = np.concatenate([window, baseline])
            observed = np.concatenate([np.ones(len(window)), np.zeros(len(baseline))])
            # The baseline is a finite sample: a pseudo-count share of the expectation
            # follows the window's own mix, so a combination the baseline happened not
            # to contain is rare, not impossible (no infinite lift for a new value).
            prior = PRIOR_SHARE if len(window) else 0.0
            scale = (1 - prior) * total / len(baseline) if len(baseline) else 0.0
            own = prior * total / len(window) if len(window) else 0.0
            expected = np.concatenate([np.full(len(window), own), np.full(len(baseline), scale)])
            return rows, observed, expected, np.ones(len(window), dtype=bool)
        # A KPI: each window ticket is expected to be "bad" at the past bad rate of its
        # own leaf (its attribute combination), shrunk towards the overall past rate;
        # a leaf with no past (a new app version) gets the overall rate. So a fast
        # channel is not "better than expected", and a new value is not a cause just
        # for being new.
        bad_now = finding.bad(window, baseline)
        bad_before = finding.bad(baseline, baseline)
        codes = cube.codes(np.concatenate([window, baseline]))
        _, leaf = np.unique(codes, axis=0, return_inverse=True)
        leaf = leaf.ravel()
        past = leaf[len(window) :]
        size = int(leaf.max()) + 1 if len(leaf) else 1
        overall = float(bad_before.mean()) if len(baseline) else 0.0
        bad_past = np.bincount(past, weights=bad_before.astype(float), minlength=size)
        seen = np.bincount(past, minlength=size)
        rate = (bad_past + RATE_PRIOR_TICKETS * overall) / (seen + RATE_PRIOR_TICKETS)
        return window, bad_now.astype(float), rate[leaf[: len(window)]], bad_now

    def _evidence(
        self, cube: Cube, window: np.ndarray, focus: np.ndarray, dims: Sequence[tuple[str, str]]
    ) -> tuple[int, ...]:
        """Newest tickets of the window that match the dims (and are "bad" for a KPI)."""
        pks = self._data.facts.pk
        created = self._data.facts.created_us
        chosen = window[focus & cube.matches(window, dims)]
        order = np.lexsort((-pks[chosen], -created[chosen]))
        return tuple(int(p) for p in pks[chosen[order[:EVIDENCE]]])

    def _terms(self, window: np.ndarray, baseline: np.ndarray) -> tuple[TermLift, ...]:
        pks = self._data.facts.pk
        a, b = _spread(pks[window], TERM_SAMPLE), _spread(pks[baseline], TERM_SAMPLE)
        tokens = self._tokens_of([*a, *b])
        docs_a = [tokens[p] for p in a if p in tokens]
        docs_b = [tokens[p] for p in b if p in tokens]
        return tuple(term_lifts(docs_a, docs_b))


def _spread(values: np.ndarray, k: int) -> list[int]:
    """k evenly spaced values: a deterministic sample across the whole window."""
    if len(values) <= k:
        return [int(v) for v in values]
    idx = np.linspace(0, len(values) - 1, k).round().astype(int)
    return [int(v) for v in values[idx]]


def _without(cube: Cube, name: str) -> Cube:
    keep = [i for i, n in enumerate(cube.names) if n != name]
    return Cube(
        [cube.names[i] for i in keep],
        [cube.columns[i] for i in keep],
        [cube.categories[i] for i in keep],
    )


def _localise(
    cube: Cube, rows: np.ndarray, observed: np.ndarray, expected: np.ndarray, max_cells: int
) -> list[RootCause]:
    if len(rows) == 0 or not cube.names or observed.sum() <= expected.sum():
        return []
    # Only rises are explained: more tickets, or more bad ones.
    model = RootCauseLocalizer(max_candidates=MAX_CANDIDATES, direction="up", max_cells=max_cells)
    model.fit(
        cube.codes(rows),
        observed,
        expected,
        feature_names=cube.names,
        categories=cube.categories,
    )
    return broader_first(list(model.candidates_))


def _concentrated(fine: RootCause, broad: RootCause) -> bool:
    """Whether `fine` rose SHARPER_RATIO times as sharply (observed / expected) as the
    rest of `broad` did: SF in 华南 25-fold against 3-fold for the rest of 华南."""
    rest_observed = max(broad.observed - fine.observed, 0.0)
    rest_expected = max(broad.expected - fine.expected, 0.0)
    fine_rate = (fine.observed + 0.5) / (fine.expected + 0.5)
    rest_rate = (rest_observed + 0.5) / (rest_expected + 0.5)
    return fine_rate >= SHARPER_RATIO * rest_rate


def broader_first(candidates: list[RootCause], margin: float = BROADER_MARGIN) -> list[RootCause]:
    """Put first the coarsest combination that explains the excess: an ancestor of the
    top candidate (a subset of its dims) that explains clearly more of the excess
    (`margin` of it or more) goes before it, unless the excess is concentrated in the
    top one (`_concentrated`). At a few tickets a day a sibling value that usually goes
    with the cause (the regional warehouse of a region) can look sharper by chance; the
    broader combination is the one the excess is in. But when a carrier in a region rose
    25-fold and the rest of the region 3-fold, the carrier in the region is the cause."""
    out = list(candidates)
    while out:
        top = out[0]
        broader = [
            c
            for c in out[1:]
            if set(c.dims) < set(top.dims)
            and c.explained_share >= top.explained_share + margin
            and not _concentrated(top, c)
        ]
        if not broader:
            return out
        # One step up at a time: the finest such ancestor, then its own ancestors.
        pick = max(broader, key=lambda c: (len(c.dims), c.explained_share))
        out.remove(pick)
        out.insert(0, pick)
    return out
