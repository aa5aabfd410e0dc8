"""Multi-dimensional root-cause localisation: which attribute-value combinations (up to
`max_dims` attributes) explain why observed moved away from expected.

1. Leaves are summed per distinct attribute vector. An attribute with more distinct
   values than `max_cardinality_ratio` x leaves (an order id...) is dropped first, unless
   no other attribute varies: a value held by about one leaf can neither be told from
   noise nor name a population, and it costs every other combination power.
2. Noise: v(e) = beta e + alpha e^2 per leaf (beta = 1 for integer counts), fitted on the
   residuals on the side the anomaly is not on (RiskLoc), then one global dispersion
   calibrated on the combinations that moved against the anomaly.
3. Every combination gets the expectation-based scan statistic (Kulldorff, Neill) of "its
   leaves all moved by one common factor" (Squeeze's ripple effect): a Poisson likelihood
   ratio for counts, a Gaussian one for float KPIs. Ranking is by this score.
4. Greedy, like RiskLoc: the best combination that is significant (Bonferroni over every
   combination tested), localised (it moved more than everything else: MacroBase's risk
   ratio), material (explains at least `min_share` of the excess: Adtributor's
   explanatory power) and not too coarse (along every finer split most of its mass moved:
   iDice's isolation, RiskLoc's risk). Its coarsest acceptable ancestor is taken instead
   when the two moved alike (succinctness). Its leaves are removed and the search
   repeats, so independent causes come out one by one.

No anomaly means empty lists: every candidate reported has pvalue <= alpha / n_tests_,
and a shift of everything alike names no root cause.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from ticketminer.anomalies import rootcause_stats as rs
from ticketminer.anomalies.dimensions import DimensionStats, choose_dimensions, cuboid_count
from ticketminer.anomalies.rootcause_cube import Lattice, aggregate
from ticketminer.domain import limits

Direction = Literal["auto", "up", "down"]
Family = Literal["auto", "count", "continuous"]
Sums = dict[str, np.ndarray]
Totals = dict[str, float]

MAX_ROUNDS = 20
# 10 M cells: the lattice's member matrix and sums stay near 200 MB at worst.
DEFAULT_MAX_CELLS = limits.ROOTCAUSE_MAX_CELLS
MAX_EXAMINED = 64
# A finer split judges purity only through children whose expected log-likelihood ratio
# (moved vs unchanged) is at least this, and only if they hold half the mass.
MIN_CHILD_INFORMATION = 2.0
MIN_INFORMATIVE_MASS = 0.5
# Count p-values come from exact tails; the scan statistic only pre-filters, with slack.
COUNT_PREFILTER_SLACK = 0.5


@dataclass(frozen=True, slots=True)
class RootCause:
    """A combination and its evidence, on all leaves. explained_share is its part of the
    total excess, clipped to [0, 1]: 0 when the total moved the other way (noise in large
    leaves can outweigh a small cause); lift is smoothed by half the smallest expected
    leaf; score is the scan statistic the ranking uses."""

    dims: tuple[tuple[str, str], ...]
    observed: float
    expected: float
    explained_share: float
    lift: float
    support: float
    pvalue: float
    score: float


class RootCauseLocalizer:
    """Root-cause set and ranked candidates for one anomaly (scikit-learn conventions).

    Parameters:
        max_dims: most attributes in one combination.
        max_candidates: most entries in `candidates_`.
        alpha: family-wise significance level, Bonferroni over every combination tested.
        min_share: least share of the excess a root cause must explain.
        min_purity: least share of a combination's mass that must have moved with it along
            every finer split (combinations of `max_dims` attributes have none).
        max_cardinality_ratio: attributes with more distinct values than this times the
            number of distinct leaves are skipped (unless no other attribute varies), as
            are attributes with a single value.
        direction: "up" (surge), "down" (drop) or "auto" (whichever is stronger).
        family: "count" (Poisson floor), "continuous", or "auto" (count when every
            observed value is an integer).
        max_cells: most lattice cells (cuboids x distinct leaves) the search may hold;
            beyond it the least informative attributes are left out (then, with too
            few left, the deepest combinations), so memory stays bounded whatever the
            cube.

    Learned: candidates_ (the root-cause set first, then other significant combinations,
    by score), root_cause_set_, direction_ (+1 or -1), n_tests_, skipped_features_,
    noise_ (the leaf variance function), dispersion_ (its global calibration).
    """

    def __init__(
        self,
        max_dims: int = 3,
        max_candidates: int = 5,
        *,
        alpha: float = 0.01,
        min_share: float = 0.01,
        min_purity: float = 0.5,
        max_cardinality_ratio: float = 0.5,
        direction: Direction = "auto",
        family: Family = "auto",
        max_cells: int = DEFAULT_MAX_CELLS,
    ) -> None:
        self.max_cells = max_cells
        self.max_dims = max_dims
        self.max_candidates = max_candidates
        self.alpha = alpha
        self.min_share = min_share
        self.min_purity = min_purity
        self.max_cardinality_ratio = max_cardinality_ratio
        self.direction = direction
        self.family = family

    def fit(
        self,
        X: np.ndarray,
        observed: np.ndarray,
        expected: np.ndarray,
        *,
        feature_names: Sequence[str],
        categories: Sequence[Sequence[str]],
    ) -> RootCauseLocalizer:
        """X: int codes, shape (n_leaves, n_attrs); X[i, j] indexes categories[j]; -1 = value
        missing (such a leaf never matches any value of attribute j). Leaves may repeat
        (they are summed)."""
        codes, obs, exp = _validate(X, observed, expected, feature_names, categories)
        codes, obs, exp = aggregate(codes, obs, exp)
        kept = self._usable_attributes(codes, categories)
        kept, max_dims = self._within_budget(codes, obs, exp, kept)
        codes, obs, exp = aggregate(codes[:, kept], obs, exp)
        self.max_dims_ = max_dims
        self.skipped_features_ = [n for j, n in enumerate(feature_names) if j not in kept]
        self.candidates_: list[RootCause] = []
        self.root_cause_set_: list[RootCause] = []
        self.direction_ = -1 if self.direction == "down" else 1
        self.n_tests_ = 0
        self.noise_: rs.Noise | None = None
        self.dispersion_ = 1.0
        if not kept or len(obs) == 0:
            return self
        lattice = Lattice.build(codes, max_dims)
        directions = {"up": [1], "down": [-1], "auto": [1, -1]}[self.direction]
        self.n_tests_ = lattice.n_combos * len(directions)
        count = rs.is_count_data(obs) if self.family == "auto" else self.family == "count"
        base = {"o": lattice.sums(obs), "e": lattice.sums(exp)}
        searches = [_Search(self, lattice, codes, obs, exp, base, count, d) for d in directions]
        search = max(searches, key=lambda s: s.best_score)
        self.direction_, self.noise_, self.dispersion_ = (
            search.direction,
            search.noise,
            search.inflation,
        )
        labels = _Labels([feature_names[j] for j in kept], [categories[j] for j in kept])
        self.root_cause_set_, self.candidates_ = search.run(labels)
        return self

    def _within_budget(
        self, codes: np.ndarray, obs: np.ndarray, exp: np.ndarray, kept: list[int]
    ) -> tuple[list[int], int]:
        """The most informative attributes, and the depth, whose lattice fits max_cells:
        as many attributes as fit at full depth, and a shallower search only when fewer
        than max_dims attributes would fit."""
        mass = np.abs(obs) + np.abs(exp)
        dims = [
            DimensionStats(
                str(j),
                float(mass[codes[:, j] >= 0].sum()),
                int(np.unique(codes[codes[:, j] >= 0, j]).size),
            )
            for j in kept
        ]
        ranked = [int(name) for name in choose_dimensions(dims, len(kept), np.inf)]
        ranked += [j for j in kept if j not in ranked]  # single-valued ones last

        def cells(k: int, depth: int) -> int:
            leaves = len(aggregate(codes[:, ranked[:k]], obs, exp)[0]) if k else 0
            return cuboid_count(k, depth) * leaves

        def most_attributes(depth: int) -> int:
            lo, hi = 0, len(ranked)  # cells() grows with k: bisect the largest that fits
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if cells(mid, depth) <= self.max_cells else (lo, mid - 1)
            return lo

        for depth in range(self.max_dims, 0, -1):
            k = most_attributes(depth)
            if k >= min(depth, len(ranked)) or depth == 1:
                return sorted(ranked[:k]), depth
        return [], 1

    def _usable_attributes(
        self, codes: np.ndarray, categories: Sequence[Sequence[str]]
    ) -> list[int]:
        """Attributes with at least 2 values (one names everything) and, unless no other
        attribute varies, at most ratio x leaves of them: a near-unique attribute (an
        order id) names single leaves, each too thin to test, and costs power."""
        n_values = [
            np.count_nonzero(np.bincount(col[col >= 0], minlength=len(cats)))
            for col, cats in zip(codes.T, categories, strict=True)
        ]
        varying = [j for j, n in enumerate(n_values) if n >= 2]
        limit = self.max_cardinality_ratio * len(codes)
        return [j for j in varying if n_values[j] <= limit or varying == [j]]


@dataclass(frozen=True, slots=True)
class _Labels:
    names: list[str]
    categories: Sequence[Sequence[str]]


class _Search:
    """Noise model, scores, gates and the greedy loop for one direction of change."""

    def __init__(
        self,
        model: RootCauseLocalizer,
        lattice: Lattice,
        codes: np.ndarray,
        obs: np.ndarray,
        exp: np.ndarray,
        base: Sums,
        count: bool,
        direction: int,
    ) -> None:
        self.model = model
        self.lattice = lattice
        self.codes = codes
        self.count = count
        self.direction = direction
        self.noise = rs.fit_noise(obs, exp, count, side=-direction)
        self.weights = {"o": obs, "e": exp}
        if count:
            self.weights["e2"] = exp * exp
        else:
            var = np.where(exp > 0, self.noise.variance(exp), 1.0)
            self.weights["b"] = obs * exp / var
            self.weights["c"] = exp * exp / var
        self.sums = {
            k: base[k].copy() if k in base else lattice.sums(w) for k, w in self.weights.items()
        }
        self.full = {k: v.copy() for k, v in self.sums.items()}
        self.full_totals = {k: float(w.sum()) for k, w in self.weights.items()}
        self.totals = dict(self.full_totals)
        self.total_excess = direction * float(obs.sum() - exp.sum())
        # Half the smallest expected leaf (half a baseline ticket): a count never seen in
        # the baseline is not infinitely surprising, and the lift stays finite.
        self.prior = 0.5 * float(exp[exp > 0].min(initial=1.0))
        self.inflation = self._calibrate()
        self.threshold = model.alpha / max(model.n_tests_, 1)
        critical = float(stats.norm.isf(self.threshold)) ** 2
        self.score_floor = critical * (COUNT_PREFILTER_SLACK if count else 1.0)
        self.first_scores = self.scores()
        self.best_score = float(self.first_scores.max(initial=0.0))

    # ------------------------------------------------------------------ statistics

    def _raw_scores(self, sums: Sums, direction: int) -> np.ndarray:
        if self.count:
            phi = rs.dispersion(self.noise.alpha, sums["e"], sums["e2"])
            return rs.count_llr(sums["o"], sums["e"] + self.prior, phi, direction)
        return rs.gaussian_llr(sums["b"], sums["c"], direction)

    def _calibrate(self) -> float:
        """Global dispersion from the combinations that moved against the anomaly, in the
        finest cuboids: their combinations are disjoint, so nearly independent."""
        clean = self._raw_scores(self.sums, -self.direction)
        depth = np.array([len(c) for c in self.lattice.cuboids])[self.lattice.cuboid_of]
        telling = (clean > 0) & (depth == depth.max(initial=0))
        if not self.count:
            return rs.calibration(clean[telling], np.ones(int(telling.sum())))
        exp = self.sums["e"] + self.prior
        telling &= exp >= rs.MIN_EXPECTED_FOR_CALIBRATION
        reference = rs.poisson_clean_reference(exp[telling], -self.direction)
        return rs.calibration(clean[telling], reference)

    def scores(self) -> np.ndarray:
        return self._raw_scores(self.sums, self.direction) / self.inflation

    def _phi(self, exp: float, exp_sq: float) -> float:
        """Dispersion of a count sum: the leaf model times the global calibration."""
        return self.inflation * float(rs.dispersion(self.noise.alpha, exp, exp_sq))

    def pvalue(self, inside: Totals) -> float:
        """Change test of one set of leaves, from its sums."""
        if self.count:
            phi = self._phi(inside["e"], inside["e2"])
            return rs.count_pvalue(inside["o"], inside["e"] + self.prior, phi, self.direction)
        b, c = np.array([inside["b"]]), np.array([inside["c"]])
        return rs.gaussian_pvalue(float(rs.gaussian_llr(b, c, self.direction)[0]) / self.inflation)

    def _contrast(self, inside: Totals, outside: Totals) -> bool:
        """Did `inside` move significantly more than `outside`, in the anomaly's direction?"""
        if self.count:
            phi = max(self._phi(inside["e"], inside["e2"]), self._phi(outside["e"], outside["e2"]))
            p = rs.count_contrast_pvalue(
                (inside["o"], inside["e"] + self.prior),
                (outside["o"], outside["e"] + self.prior),
                phi,
                self.direction,
            )
        else:
            p = rs.gaussian_contrast_pvalue(
                (inside["b"], inside["c"]),
                (outside["b"], outside["c"]),
                self.inflation,
                self.direction,
            )
        return p <= self.threshold

    def _rate(self, sums: Sums | Totals) -> np.ndarray:
        """Observed over expected (counts) or the fitted common factor (continuous)."""
        num, den = (sums["o"], sums["e"]) if self.count else (sums["b"], sums["c"])
        return np.asarray(num, dtype=float) / np.maximum(den, rs.TINY)

    # ------------------------------------------------------------------ gates

    def _passes(self, combo: int, sums: Sums, totals: Totals, active: np.ndarray) -> bool:
        """A significant change, and one of its own: it moved more than the rest did, so a
        shift of everything alike names no root cause. For float KPIs it must also stay
        significant without its most changed leaf: forecast errors have heavier tails
        than the Gaussian model, Poisson counts do not."""
        inside = {k: float(v[combo]) for k, v in sums.items()}
        if self.pvalue(inside) > self.threshold:
            return False
        if not self.count:
            rest = self._without_top_leaf(combo, inside, active)
            if self.pvalue(rest) > self.threshold:
                return False
        return self._contrast(inside, {k: totals[k] - v for k, v in inside.items()})

    def _without_top_leaf(self, combo: int, inside: Totals, active: np.ndarray) -> Totals:
        """The combination's sums less those of the leaf that pushes its score most."""
        rows = np.flatnonzero(self.lattice.leaves(combo) & active)
        pull = self.direction * (self.weights["b"][rows] - self.weights["c"][rows])
        top = rows[np.argmax(pull)]
        return {k: v - float(self.weights[k][top]) for k, v in inside.items()}

    def _acceptable(self, combo: int, active: np.ndarray) -> bool:
        if not self._passes(combo, self.sums, self.totals, active):
            return False
        if self.lattice.depth(combo) >= self.model.max_dims_:
            return True
        return self._purity(combo, active) >= self.model.min_purity

    def _purity(self, combo: int, active: np.ndarray) -> float:
        """Least mass share, over the attributes that split `combo` further, of children
        that moved (like its children that moved most) rather than stayed with the rest."""
        rows = np.flatnonzero(self.lattice.leaves(combo) & active)
        inside = {k: float(v[combo]) for k, v in self.sums.items()}
        rate = float(self._rate(inside))
        still = float(self._rate({k: self.totals[k] - v for k, v in inside.items()}))
        phi = self._phi(inside["e"], inside["e2"]) if self.count else self.inflation
        in_combo = self.lattice.cuboids[self.lattice.cuboid_of[combo]]
        worst = 1.0
        for j in range(self.codes.shape[1]):
            if j in in_combo:
                continue
            col = self.codes[rows, j]
            valid = col >= 0
            child = {k: np.bincount(col[valid], w[rows][valid]) for k, w in self.weights.items()}
            ahead = self.direction * (self._rate(child) - rate) > 0
            moved = float(self._rate({k: v[ahead].sum() for k, v in child.items()}))
            posterior, information = rs.changed_posterior(
                self.count, moved if ahead.any() else rate, still, child, phi
            )
            mass = child["e"]
            telling = information >= MIN_CHILD_INFORMATION
            if mass.sum() <= 0 or mass[telling].sum() < MIN_INFORMATIVE_MASS * mass.sum():
                continue
            worst = min(worst, float((mass * posterior)[telling].sum() / mass[telling].sum()))
        return worst

    def _eligible(self, scores: np.ndarray, sums: Sums, explained: float) -> np.ndarray:
        """Combinations above the score floor that explain enough of the excess."""
        excess = self.direction * (sums["o"] - sums["e"])
        floor = self.model.min_share * max(self.total_excess, explained)
        return (scores >= self.score_floor) & (excess > 0) & (excess >= floor)

    # ------------------------------------------------------------------ search

    def run(self, labels: _Labels) -> tuple[list[RootCause], list[RootCause]]:
        chosen = self._greedy()
        denominator = max(self.total_excess, sum(excess for _, excess in chosen))
        kept = [c for c, excess in chosen if excess >= self.model.min_share * denominator]
        kept.sort(key=lambda c: (-self.first_scores[c], c))
        room = max(self.model.max_candidates - len(kept), 0)
        extra = list(itertools.islice(self._alternatives(set(kept)), room))
        causes = {c: self._describe(c, labels) for c in kept + extra}
        ranked = [causes[c] for c in kept + extra]
        return [causes[c] for c in kept], ranked[: self.model.max_candidates]

    def _alternatives(self, kept: set[int]) -> Iterator[int]:
        """Other combinations that changed significantly on their own, best first."""
        eligible = self._eligible(self.first_scores, self.full, 0.0)
        everything = np.ones(len(self.codes), dtype=bool)
        for c in _best_first(eligible, self.first_scores):
            if c not in kept and self._passes(c, self.full, self.full_totals, everything):
                yield c

    def _greedy(self) -> list[tuple[int, float]]:
        """Best acceptable combination, remove its leaves, again; (combo, excess) pairs.
        A pick that is an ancestor of earlier picks absorbs them."""
        active = np.ones(len(self.codes), dtype=bool)
        chosen: list[tuple[int, float]] = []
        for _ in range(MAX_ROUNDS):
            pick = self._next_cause(active, sum(excess for _, excess in chosen))
            if pick is None:
                break
            excess = self.direction * float(self.sums["o"][pick] - self.sums["e"][pick])
            absorbed = [i for i, (c, _) in enumerate(chosen) if self.lattice.is_ancestor(pick, c)]
            excess += sum(chosen[i][1] for i in absorbed)
            chosen = [pair for i, pair in enumerate(chosen) if i not in absorbed]
            chosen.append((pick, excess))
            self._remove(np.flatnonzero(self.lattice.leaves(pick) & active), active)
        return chosen

    def _remove(self, rows: np.ndarray, active: np.ndarray) -> None:
        active[rows] = False
        for k, w in self.weights.items():
            self.sums[k] = np.maximum(self.sums[k] - self.lattice.sums(w, rows), 0.0)
            self.totals[k] = max(self.totals[k] - float(w[rows].sum()), 0.0)

    def _next_cause(self, active: np.ndarray, explained: float) -> int | None:
        """The best-scoring acceptable combination, or its coarsest acceptable ancestor
        within which it did not move significantly more than the rest: noise can favour
        a child of the true cause (succinctness)."""
        scores = self.scores()
        eligible = self._eligible(scores, self.sums, explained)
        for combo in _best_first(eligible, scores)[:MAX_EXAMINED]:
            if not self._acceptable(combo, active):
                continue
            inside = {k: float(v[combo]) for k, v in self.sums.items()}
            ancestors = sorted(
                self.lattice.ancestors(combo),
                key=lambda a: (self.lattice.depth(a), -scores[a], a),
            )
            for ancestor in ancestors:
                rest = {k: float(v[ancestor]) - inside[k] for k, v in self.sums.items()}
                if (
                    eligible[ancestor]
                    and not self._contrast(inside, rest)
                    and self._acceptable(ancestor, active)
                ):
                    return ancestor
            return combo
        return None

    # ------------------------------------------------------------------ report

    def _describe(self, combo: int, labels: _Labels) -> RootCause:
        """The combination's figures on all leaves (not only those left by earlier rounds)."""
        cuboid = self.lattice.cuboids[self.lattice.cuboid_of[combo]]
        leaf = self.lattice.leaf_of[combo]
        dims = tuple(
            sorted(
                (labels.names[j], str(labels.categories[j][self.codes[leaf, j]])) for j in cuboid
            )
        )
        o_in, e_in = float(self.full["o"][combo]), float(self.full["e"][combo])
        o_all, e_all = self.full_totals["o"], self.full_totals["e"]
        return RootCause(
            dims=dims,
            observed=o_in,
            expected=e_in,
            explained_share=_share(o_in - e_in, o_all - e_all),
            lift=self._lift(o_in, e_in, o_all - o_in, e_all - e_in),
            support=o_in / o_all if o_all > 0 else 0.0,
            pvalue=self.pvalue({k: float(v[combo]) for k, v in self.full.items()}),
            score=float(self.first_scores[combo]),
        )

    def _lift(self, o_in: float, e_in: float, o_out: float, e_out: float) -> float:
        """Risk ratio, both sides smoothed by the prior so it stays finite."""
        a = self.prior
        return ((o_in + a) / (e_in + a)) / ((o_out + a) / (e_out + a))


def _best_first(mask: np.ndarray, scores: np.ndarray) -> list[int]:
    """Indices where `mask` holds, by descending score, ties by index (deterministic)."""
    idx = np.flatnonzero(mask)
    return [int(c) for c in idx[np.lexsort((idx, -scores[idx]))]]


def _share(part: float, total: float) -> float:
    if total == 0:
        return 0.0
    return float(min(max(part / total, 0.0), 1.0))


def _validate(
    X: np.ndarray,
    observed: np.ndarray,
    expected: np.ndarray,
    feature_names: Sequence[str],
    categories: Sequence[Sequence[str]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codes = np.asarray(X)
    if codes.ndim != 2:
        raise ValueError(f"X must be 2-D (n_leaves, n_attrs), got shape {codes.shape}")
    obs = np.asarray(observed, dtype=float).ravel()
    exp = np.asarray(expected, dtype=float).ravel()
    n, k = codes.shape
    if len(obs) != n or len(exp) != n:
        raise ValueError("observed and expected need one value per row of X")
    if len(feature_names) != k or len(categories) != k:
        raise ValueError("feature_names and categories need one entry per column of X")
    if not (np.isfinite(obs).all() and np.isfinite(exp).all()):
        raise ValueError("observed and expected must be finite")
    if (obs < 0).any() or (exp < 0).any():
        raise ValueError("observed and expected must be non-negative")
    if (
        n
        and not np.issubdtype(codes.dtype, np.integer)
        and not np.array_equal(codes, np.round(codes))
    ):
        raise ValueError("X must hold integer codes")
    codes = codes.astype(np.int64)
    for j in range(k):
        if n and (codes[:, j].min() < -1 or codes[:, j].max() >= len(categories[j])):
            raise ValueError(f"codes of {feature_names[j]!r} must be -1 or index categories")
    return codes, obs, exp
