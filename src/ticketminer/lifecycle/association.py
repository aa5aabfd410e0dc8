"""Which items (issues, words) go with an outcome more often than chance.

An estimator in scikit-learn's manner: `fit(X, y)` on a binary ticket x item matrix
and a boolean outcome per ticket, then fitted arrays with a trailing underscore and
`ranking()` for the items worth showing. Counts, not models: lift and a two-proportion
test are what a support lead can check by hand from the evidence tickets.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.stats import binom, false_discovery_control


class OutcomeAssociation:
    """Association of each item with a boolean outcome.

    Fitted attributes, one value per item (column of X):
      support_      tickets with the item
      positives_    of those, tickets with the outcome
      lift_         P(outcome | item) / P(outcome)
      concentration_  P(item | outcome) / P(item | no outcome): how much more often
                    the item shows up among the outcome's tickets than among the rest
      zscore_       two-proportion z of the outcome rate with vs without the item
      pvalue_       exact one-sided binomial p that the item's outcome rate is above
                    the overall rate (the z is only shown: with a handful of tickets
                    its normal approximation claims far too much)
      qvalue_       Benjamini-Hochberg adjusted p over the items with enough tickets
                    (1 for the others): thousands of words are tested at once, so a
                    raw p < 0.01 would let dozens of chance words through
    """

    def __init__(self, min_support: int = 10, alpha: float = 0.01, min_positives: int = 5) -> None:
        self.min_support = min_support
        self.alpha = alpha
        self.min_positives = min_positives

    def fit(self, X, y) -> OutcomeAssociation:
        X = sparse.csr_matrix(X, dtype=np.float64)
        y = np.asarray(y, dtype=bool)
        if X.shape[0] != len(y):
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)} values")
        n, positives = len(y), int(y.sum())
        support = _column_counts(X)
        hits = _column_counts(X[y])
        rest, rest_hits = n - support, positives - hits
        rate = _ratio(hits, support)
        rest_rate = _ratio(rest_hits, rest)
        base = positives / n if n else 0.0
        self.n_tickets_, self.n_positive_ = n, positives
        self.support_, self.positives_ = support, hits
        self.lift_ = rate / base if base else np.zeros(len(support))
        # Share of the outcome's tickets with the item over the share of the others'.
        in_outcome = _ratio(hits, np.full(len(hits), positives))
        in_others = _ratio(support - hits, np.full(len(hits), n - positives))
        self.concentration_ = np.where(
            in_others > 0, in_outcome / np.where(in_others > 0, in_others, 1), np.inf
        )
        self.concentration_[hits == 0] = 0.0
        se = np.sqrt(base * (1 - base) * (1 / np.maximum(support, 1) + 1 / np.maximum(rest, 1)))
        testable = (se > 0) & (support > 0) & (rest > 0)
        self.zscore_ = np.where(testable, (rate - rest_rate) / np.where(testable, se, 1), 0.0)
        self.pvalue_ = binom.sf(hits - 1, support, base) if 0 < base < 1 else np.ones(len(hits))
        self.qvalue_ = np.ones(len(hits))
        tested = self._enough_tickets()
        if tested.any():
            self.qvalue_[tested] = false_discovery_control(self.pvalue_[tested])
        return self

    def _enough_tickets(self) -> np.ndarray:
        return (self.support_ >= self.min_support) & (self.positives_ >= self.min_positives)

    def ranking(self, top: int = 10) -> np.ndarray:
        """Items with enough tickets, and enough with the outcome, that raise the
        outcome significantly (false-discovery rate `alpha`), by lift (then z),
        strongest first."""
        ok = self._enough_tickets() & (self.qvalue_ < self.alpha) & (self.lift_ > 1)
        items = np.flatnonzero(ok)
        order = np.lexsort((-self.zscore_[items], -self.lift_[items]))
        return items[order][:top]


def one_hot(codes: np.ndarray, n_items: int) -> sparse.csr_matrix:
    """Tickets x items with one 1 per ticket (code -1: no item)."""
    rows = np.flatnonzero(codes >= 0)
    data = np.ones(len(rows))
    return sparse.csr_matrix((data, (rows, codes[rows])), shape=(len(codes), n_items))


def _column_counts(X) -> np.ndarray:
    return np.asarray((X != 0).sum(axis=0)).ravel().astype(np.int64)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0."""
    return numerator / np.maximum(denominator, 1) * (denominator > 0)
