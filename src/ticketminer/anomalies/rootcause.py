"""Multi-dimensional root-cause localisation: which attribute-value combinations (up to
`max_dims` attributes) explain why observed moved away from expected.

1. Leaves are summed per distinct attribute vector. Attributes with more distinct values
   than `max_cardinality_ratio` x leaves (order ids...) are dropped first: a value seen
   in about one leaf can neither be told from noise nor name a population.
2. Noise: v(e) = beta e + alpha e^2 (Poisson for integer counts, plus relative forecast
   noise), fitted on the residuals of the side the anomaly is not on (RiskLoc).
3. Every combination gets the expectation-based scan statistic (Kulldorff, Neill) of
   "its leaves all moved by one common factor, the rest did not" (Squeeze's ripple
   effect): a Poisson likelihood ratio for counts, a Gaussian one for float KPIs.
4. Greedy, as RiskLoc: take the best-scoring combination that is significant (Bonferroni
   over all combinations), material (explains at least `min_share` of the excess:
   Adtributor's explanatory power) and not too coarse (iDice's isolation, RiskLoc's
   risk: along every finer split, most of its mass moved with it; if not, a finer
   combination is the cause). Remove its leaves and repeat: several independent causes
   come out one by one. Coarser wins ties through the score itself: a pure parent
   scores more than any of its children (succinctness).

Both lists are empty when nothing changed significantly (no anomaly): every reported
candidate has pvalue <= alpha / n_tests_.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from ticketminer.anomalies import rootcause_stats as rs

Direction = Literal["auto", "up", "down"]
Family = Literal["auto", "count", "continuous"]

MAX_ROUNDS = 20
MAX_EXAMINED = 64
# A finer split judges purity only through children whose expected log-likelihood ratio
# ("moved" vs "unchanged") is at least this, and only when they hold half the mass.
MIN_CHILD_INFORMATION = 2.0
MIN_INFORMATIVE_MASS = 0.5
# Count p-values come from exact tails; the scan statistic only pre-filters, with slack.
COUNT_PREFILTER_SLACK = 0.5
DENSE_KEY_FACTOR = 4


@dataclass(frozen=True, slots=True)
class RootCause:
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
        max_candidates: length of `candidates_`.
        alpha: family-wise significance level, Bonferroni over every combination tested.
        min_share: least share of the excess a root cause must explain.
        min_purity: least share of a combination's mass that must have moved with it along
            every finer split (combinations at `max_dims` have no finer alternative).
        max_cardinality_ratio: attributes with more distinct values than this times the
            number of leaves are skipped.
        direction: "up" (surge), "down" (drop) or "auto" (the stronger of the two).
        family: "count" (Poisson floor), "continuous", or "auto" (count when all observed
            values are integers).

    Learned: candidates_, root_cause_set_, direction_ (+1 or -1), n_tests_,
    skipped_features_, noise_ (the fitted variance function).
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
    ) -> None:
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
        codes, obs, exp = _aggregate(codes, obs, exp)
        kept = self._usable_attributes(codes)
        self.skipped_features_ = [n for j, n in enumerate(feature_names) if j not in kept]
        codes, obs, exp = _aggregate(codes[:, kept], obs, exp)
        self.candidates_: list[RootCause] = []
        self.root_cause_set_: list[RootCause] = []
        self.direction_ = -1 if self.direction == "down" else 1
        self.n_tests_ = 0
        self.noise_: rs.Noise | None = None
        if not kept or len(obs) == 0:
            return self
        lattice = _Lattice.build(codes, self.max_dims)
        directions = {"up": [1], "down": [-1], "auto": [1, -1]}[self.direction]
        self.n_tests_ = lattice.n_combos * len(directions)
        count = rs.is_count_data(obs) if self.family == "auto" else self.family == "count"
        shared = {"o": obs, "e": exp}
        shared_sums = {k: lattice.sums(w) for k, w in shared.items()}
        searches = [
            _Search(self, lattice, codes, shared, shared_sums, count, d) for d in directions
        ]
        search = max(searches, key=lambda s: s.best_score)
        self.direction_ = search.direction
        self.noise_ = search.noise
        names = [feature_names[j] for j in kept]
        cats = [categories[j] for j in kept]
        self.root_cause_set_, self.candidates_ = search.run(names, cats)
        return self

    def _usable_attributes(self, codes: np.ndarray) -> list[int]:
        """Attributes with 2..ratio x leaves distinct values: one value names everything,
        near-unique ones name single leaves."""
        limit = self.max_cardinality_ratio * len(codes)
        kept = []
        for j in range(codes.shape[1]):
            col = codes[:, j]
            n_values = np.unique(col[col >= 0]).size
            if 2 <= n_values <= limit:
                kept.append(j)
        return kept


@dataclass(frozen=True, slots=True)
class _Lattice:
    """Every attribute-value combination present in the leaves, numbered across cuboids."""

    cuboids: list[tuple[int, ...]]
    index: dict[tuple[int, ...], int]
    member: np.ndarray  # (n_leaves, n_cuboids): combination id, n_combos if a value is missing
    cuboid_of: np.ndarray  # (n_combos,)
    leaf_of: np.ndarray  # (n_combos,) one leaf holding the combination

    @classmethod
    def build(cls, codes: np.ndarray, max_dims: int) -> _Lattice:
        n, k = codes.shape
        cuboids = [
            c
            for size in range(1, min(max_dims, k) + 1)
            for c in itertools.combinations(range(k), size)
        ]
        member = np.empty((n, len(cuboids)), dtype=np.int64)
        cuboid_of, leaf_of, offset = [], [], 0
        for ci, cuboid in enumerate(cuboids):
            sub = codes[:, cuboid]
            present = np.flatnonzero((sub >= 0).all(axis=1))
            ids, first = _dense_ids(_row_keys(sub[present]))
            member[:, ci] = -1
            member[present, ci] = ids + offset
            cuboid_of.append(np.full(len(first), ci))
            leaf_of.append(present[first])
            offset += len(first)
        member[member < 0] = offset
        index = {c: i for i, c in enumerate(cuboids)}
        return cls(cuboids, index, member, np.concatenate(cuboid_of), np.concatenate(leaf_of))

    @property
    def n_combos(self) -> int:
        return len(self.cuboid_of)

    def sums(self, weights: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Per-combination sums of a per-leaf quantity (over `rows` only if given)."""
        member = self.member if rows is None else self.member[rows]
        w = weights if rows is None else weights[rows]
        flat = np.repeat(w, member.shape[1])
        return np.bincount(member.ravel(), flat, minlength=self.n_combos + 1)[:-1]

    def leaves(self, combo: int) -> np.ndarray:
        return self.member[:, self.cuboid_of[combo]] == combo


class _Search:
    """Scores, gates and the greedy loop for one direction of change."""

    def __init__(
        self,
        model: RootCauseLocalizer,
        lattice: _Lattice,
        codes: np.ndarray,
        shared: dict[str, np.ndarray],
        shared_sums: dict[str, np.ndarray],
        count: bool,
        direction: int,
    ) -> None:
        self.model = model
        self.lattice = lattice
        self.codes = codes
        self.count = count
        self.direction = direction
        obs, exp = shared["o"], shared["e"]
        self.noise = rs.fit_noise(obs, exp, count, side=-direction)
        self.weights = dict(shared)
        if count:
            self.weights["e2"] = exp * exp
        else:
            var = np.where(exp > 0, self.noise.variance(exp), 1.0)
            self.weights["b"] = obs * exp / var
            self.weights["c"] = exp * exp / var
        self.sums = {
            k: shared_sums[k].copy() if k in shared_sums else lattice.sums(w)
            for k, w in self.weights.items()
        }
        self.full = {k: v.copy() for k, v in self.sums.items()}
        self.full_totals = {k: float(w.sum()) for k, w in self.weights.items()}
        self.totals = dict(self.full_totals)
        self.total_excess = direction * float(obs.sum() - exp.sum())
        # Half the smallest expected leaf (half a baseline ticket): a count never seen in
        # the baseline is not infinitely surprising.
        self.prior = 0.5 * float(exp[exp > 0].min(initial=1.0))
        self.inflation = self._calibrate()
        self.threshold = model.alpha / max(model.n_tests_, 1)
        critical = float(stats.norm.isf(self.threshold)) ** 2
        self.score_floor = critical * (COUNT_PREFILTER_SLACK if count else 1.0)
        self.first_scores = self.scores()
        self.best_score = float(self.first_scores.max(initial=0.0))

    def _raw_scores(self, sums: dict[str, np.ndarray], direction: int) -> np.ndarray:
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
        return rs.calibration(
            clean[telling], rs.poisson_clean_reference(exp[telling], -self.direction)
        )

    def scores(self) -> np.ndarray:
        return self._raw_scores(self.sums, self.direction) / self.inflation

    def _phi(self, exp: float, exp_sq: float) -> float:
        """Dispersion of a count sum: leaf model times the global calibration."""
        return self.inflation * float(rs.dispersion(self.noise.alpha, exp, exp_sq))

    def pvalue(self, combo: int, sums: dict[str, np.ndarray]) -> float:
        if self.count:
            o, e = float(sums["o"][combo]), float(sums["e"][combo])
            phi = self._phi(e, float(sums["e2"][combo]))
            return rs.count_pvalue(o, e + self.prior, phi, self.direction)
        b, c = sums["b"][combo : combo + 1], sums["c"][combo : combo + 1]
        return rs.gaussian_pvalue(float(rs.gaussian_llr(b, c, self.direction)[0]) / self.inflation)

    def _passes(self, combo: int, sums: dict[str, np.ndarray], totals: dict[str, float]) -> bool:
        """A significant change, and one of its own: it moved more than the rest did
        (MacroBase's risk ratio), so a shift of everything names no root cause."""
        if self.pvalue(combo, sums) > self.threshold:
            return False
        inside = {k: float(v[combo]) for k, v in sums.items()}
        return self._contrast(inside, {k: totals[k] - v for k, v in inside.items()})

    def _contrast(self, inside: dict[str, float], outside: dict[str, float]) -> bool:
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

    def run(
        self, names: list[str], cats: Sequence[Sequence[str]]
    ) -> tuple[list[RootCause], list[RootCause]]:
        chosen = self._greedy()
        denominator = max(self.total_excess, sum(excess for _, excess in chosen))
        kept = [c for c, excess in chosen if excess >= self.model.min_share * denominator]
        kept.sort(key=lambda c: (-self.first_scores[c], c))
        ranked = np.flatnonzero(self._eligible(self.first_scores, self.full, 0.0))
        ranked = ranked[np.lexsort((ranked, -self.first_scores[ranked]))]
        others = [int(c) for c in ranked if c not in kept]
        room = max(self.model.max_candidates - len(kept), 0)
        ranked = kept + [c for c in itertools.islice(self._significant(others), room)]
        causes = {c: self._describe(c, names, cats) for c in ranked}
        return [causes[c] for c in kept], [causes[c] for c in ranked][: self.model.max_candidates]

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
            absorbed = [(c, x) for c, x in chosen if self._is_ancestor(pick, c)]
            chosen = [(c, x) for c, x in chosen if (c, x) not in absorbed]
            chosen.append((pick, excess + sum(x for _, x in absorbed)))
            rows = np.flatnonzero(self.lattice.leaves(pick) & active)
            active[rows] = False
            for k, w in self.weights.items():
                self.sums[k] = np.maximum(self.sums[k] - self.lattice.sums(w, rows), 0.0)
                self.totals[k] = max(self.totals[k] - float(w[rows].sum()), 0.0)
        return chosen

    def _next_cause(self, active: np.ndarray, explained: float) -> int | None:
        """The best-scoring acceptable combination, or its coarsest acceptable ancestor
        within which it did not move significantly more than the rest: noise can favour
        a child of the true cause (succinctness)."""
        scores = self.scores()
        eligible = self._eligible(scores, self.sums, explained)
        ranked = np.flatnonzero(eligible)
        for combo in ranked[np.lexsort((ranked, -scores[ranked]))][:MAX_EXAMINED]:
            if not self._acceptable(int(combo), active):
                continue
            inside = {k: float(v[combo]) for k, v in self.sums.items()}
            for ancestor in self._ancestors(int(combo), scores):
                rest = {k: float(v[ancestor]) - inside[k] for k, v in self.sums.items()}
                if (
                    eligible[ancestor]
                    and not self._contrast(inside, rest)
                    and self._acceptable(ancestor, active)
                ):
                    return ancestor
            return int(combo)
        return None

    def _is_ancestor(self, ancestor: int, combo: int) -> bool:
        coarse = self.lattice.cuboids[self.lattice.cuboid_of[ancestor]]
        fine = self.lattice.cuboids[self.lattice.cuboid_of[combo]]
        if len(coarse) >= len(fine) or not set(coarse) <= set(fine):
            return False
        return (
            self.lattice.member[self.lattice.leaf_of[combo], self.lattice.index[coarse]] == ancestor
        )

    def _ancestors(self, combo: int, scores: np.ndarray) -> list[int]:
        """Proper ancestors of a combination, coarsest first, then best score."""
        cuboid = self.lattice.cuboids[self.lattice.cuboid_of[combo]]
        leaf = self.lattice.leaf_of[combo]
        found = [
            int(self.lattice.member[leaf, self.lattice.index[sub]])
            for size in range(1, len(cuboid))
            for sub in itertools.combinations(cuboid, size)
        ]
        return sorted(
            found,
            key=lambda c: (len(self.lattice.cuboids[self.lattice.cuboid_of[c]]), -scores[c], c),
        )

    def _eligible(
        self, scores: np.ndarray, sums: dict[str, np.ndarray], explained: float
    ) -> np.ndarray:
        """Combinations above the score floor that explain enough of the excess."""
        excess = self.direction * (sums["o"] - sums["e"])
        floor = self.model.min_share * max(self.total_excess, explained)
        return (scores >= self.score_floor) & (excess > 0) & (excess >= floor)

    def _significant(self, combos: list[int]) -> Iterator[int]:
        for c in combos:
            if self._passes(c, self.full, self.full_totals):
                yield c

    def _acceptable(self, combo: int, active: np.ndarray) -> bool:
        if not self._passes(combo, self.sums, self.totals):
            return False
        if len(self.lattice.cuboids[self.lattice.cuboid_of[combo]]) >= self.model.max_dims:
            return True
        return self._purity(combo, active) >= self.model.min_purity

    def _purity(self, combo: int, active: np.ndarray) -> float:
        """Least mass share, over the attributes that split `combo` further, of children
        that moved (like its children that moved most) rather than stayed with the rest."""
        rows = np.flatnonzero(self.lattice.leaves(combo) & active)
        inside = {k: float(v[combo]) for k, v in self.sums.items()}
        rate = self._rate(inside)
        still = self._rate({k: self.totals[k] - v for k, v in inside.items()})
        phi = self._phi(inside["e"], inside["e2"]) if self.count else self.inflation
        in_combo = set(self.lattice.cuboids[self.lattice.cuboid_of[combo]])
        worst = 1.0
        for j in range(self.codes.shape[1]):
            if j in in_combo:
                continue
            col = self.codes[rows, j]
            valid = col >= 0
            child = {k: np.bincount(col[valid], w[rows][valid]) for k, w in self.weights.items()}
            ahead = self.direction * (self._rate(child) - rate) > 0
            moved = (
                self._rate({k: v[ahead].sum() for k, v in child.items()}) if ahead.any() else rate
            )
            posterior, information = rs.changed_posterior(self.count, moved, still, child, phi)
            mass = child["e"]
            telling = information >= MIN_CHILD_INFORMATION
            if mass.sum() <= 0 or mass[telling].sum() < MIN_INFORMATIVE_MASS * mass.sum():
                continue
            worst = min(worst, float((mass * posterior)[telling].sum() / mass[telling].sum()))
        return worst

    def _rate(self, sums: dict) -> np.ndarray | float:
        """Observed over expected (counts) or the fitted common factor (continuous)."""
        num, den = (sums["o"], sums["e"]) if self.count else (sums["b"], sums["c"])
        return (
            np.asarray(num) / np.maximum(den, rs.TINY) if np.ndim(num) else num / max(den, rs.TINY)
        )

    def _describe(self, combo: int, names: list[str], cats: Sequence[Sequence[str]]) -> RootCause:
        """The combination's figures on all leaves (not only those left by earlier rounds)."""
        cuboid = self.lattice.cuboids[self.lattice.cuboid_of[combo]]
        leaf = self.lattice.leaf_of[combo]
        dims = tuple(sorted((names[j], str(cats[j][self.codes[leaf, j]])) for j in cuboid))
        o_in, e_in = float(self.full["o"][combo]), float(self.full["e"][combo])
        o_all, e_all = float(self.weights["o"].sum()), float(self.weights["e"].sum())
        score = float(self.first_scores[combo])
        return RootCause(
            dims=dims,
            observed=o_in,
            expected=e_in,
            explained_share=_share(o_in - e_in, o_all - e_all),
            lift=self._lift(o_in, e_in, o_all - o_in, e_all - e_in),
            support=o_in / o_all if o_all > 0 else 0.0,
            pvalue=self.pvalue(combo, self.full),
            score=score,
        )

    def _lift(self, o_in: float, e_in: float, o_out: float, e_out: float) -> float:
        """Risk ratio, both sides smoothed by the prior so it stays finite."""
        a = self.prior
        return ((o_in + a) / (e_in + a)) / ((o_out + a) / (e_out + a))


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
    if n and not np.issubdtype(codes.dtype, np.integer):
        if not np.array_equal(codes, np.round(codes)):
            raise ValueError("X must hold integer codes")
    codes = codes.astype(np.int64)
    for j in range(k):
        if n and (codes[:, j].min() < -1 or codes[:, j].max() >= len(categories[j])):
            raise ValueError(f"codes of {feature_names[j]!r} must be -1 or index categories")
    return codes, obs, exp


def _aggregate(
    codes: np.ndarray, obs: np.ndarray, exp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One leaf per distinct attribute vector, observed and expected summed; leaves with
    nothing observed and nothing expected carry no evidence and are dropped."""
    live = (obs > 0) | (exp > 0)
    codes, obs, exp = codes[live], obs[live], exp[live]
    if codes.shape[1] == 0 or len(codes) == 0:
        return codes, obs, exp
    ids, first = _dense_ids(_row_keys(codes))
    size = len(first)
    return (
        codes[first],
        np.bincount(ids, obs, minlength=size),
        np.bincount(ids, exp, minlength=size),
    )


def _row_keys(codes: np.ndarray) -> np.ndarray:
    """An int64 key per row, equal for equal rows (mixed radix over the columns,
    re-densified whenever the next column could overflow)."""
    keys = np.zeros(len(codes), dtype=np.int64)
    size = 1
    for col in codes.T:
        radix = int(col.max(initial=-1)) + 2
        if size * radix >= 2**62:
            keys, first = _dense_ids(keys)
            size = len(first)
        keys = keys * radix + (col + 1)
        size *= radix
    return keys


def _dense_ids(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(0..m-1 id per key, in key order; index of each id's first row)."""
    if len(keys) == 0:
        return keys.astype(np.int64), np.empty(0, dtype=np.int64)
    top = int(keys.max())
    if top < DENSE_KEY_FACTOR * len(keys):
        seen = np.zeros(top + 1, dtype=bool)
        seen[keys] = True
        remap = np.cumsum(seen) - 1
        ids = remap[keys]
        first = np.empty(int(seen.sum()), dtype=np.int64)
        first[ids[::-1]] = np.arange(len(keys) - 1, -1, -1)
        return ids, first
    _, first, ids = np.unique(keys, return_index=True, return_inverse=True)
    return ids.ravel(), first
