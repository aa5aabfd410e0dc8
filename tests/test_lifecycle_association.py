"""OutcomeAssociation worked by hand: lift, concentration, the test, and the ranking's
support and significance gates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse

from ticketminer.lifecycle.association import OutcomeAssociation, one_hot


def _data():
    # 1,000 tickets. Item 0: 100 tickets, 60 with the outcome. Item 1: 5 tickets, all
    # with it. Item 2: 400 tickets at the others' rate. Outcome elsewhere: 10 %.
    n = 1000
    X = sparse.lil_matrix((n, 3))
    y = np.zeros(n, dtype=bool)
    X[0:100, 0] = 1
    y[0:60] = True
    X[100:105, 1] = 1
    y[100:105] = True
    X[105:505, 2] = 1
    rest = np.arange(105, n)
    y[rest[::10]] = True  # every tenth: item 2 and the rest at the same rate
    return X.tocsr(), y


def test_counts_lift_and_concentration() -> None:
    X, y = _data()
    fit = OutcomeAssociation(min_support=10).fit(X, y)
    positives = int(y.sum())
    assert fit.support_.tolist() == [100, 5, 400]
    assert fit.positives_[0] == 60 and fit.positives_[1] == 5
    assert fit.lift_[0] == pytest.approx(0.6 / (positives / 1000))
    # P(item | outcome) / P(item | no outcome) = (60 / P) / (40 / (1000 - P)).
    assert fit.concentration_[0] == pytest.approx((60 / positives) / (40 / (1000 - positives)))
    rest_rate = (positives - 60) / 900
    p = positives / 1000
    z = (0.6 - rest_rate) / math.sqrt(p * (1 - p) * (1 / 100 + 1 / 900))
    assert fit.zscore_[0] == pytest.approx(z)


def test_ranking_needs_support_and_significance() -> None:
    X, y = _data()
    fit = OutcomeAssociation(min_support=10).fit(X, y)
    assert fit.ranking().tolist() == [0]  # item 1 lacks support, item 2 is no lift
    assert OutcomeAssociation(min_support=5).fit(X, y).ranking().tolist() == [1, 0]


def test_one_hot_and_degenerate_inputs() -> None:
    X = one_hot(np.array([0, 2, -1, 2]), 3).toarray()
    assert X.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 1]]
    empty = OutcomeAssociation().fit(sparse.csr_matrix((0, 2)), np.zeros(0, dtype=bool))
    assert empty.ranking().tolist() == [] and empty.lift_.tolist() == [0, 0]
    none = OutcomeAssociation(min_support=1).fit(np.eye(3), np.zeros(3, dtype=bool))
    assert none.ranking().tolist() == []
    with pytest.raises(ValueError):
        OutcomeAssociation().fit(np.eye(3), np.zeros(2, dtype=bool))


def test_p_is_exact_and_a_handful_of_tickets_is_not_a_finding() -> None:
    from scipy.stats import binom

    X, y = _data()
    fit = OutcomeAssociation(min_support=10).fit(X, y)
    base = y.mean()
    assert fit.pvalue_[0] == pytest.approx(binom.sf(59, 100, base))
    # Item 1: 5 of 5 with the outcome is z about 7, but 5 tickets is the floor.
    assert fit.zscore_[1] > 5
    assert OutcomeAssociation(min_support=1, min_positives=6).fit(X, y).ranking().tolist() == [0]


def test_many_chance_words_do_not_pass_the_false_discovery_gate() -> None:
    """2,000 words that have nothing to do with the outcome give about 20 raw p < 0.01
    by chance; the Benjamini-Hochberg gate keeps them out and the real word in."""
    from scipy.stats import false_discovery_control

    rng = np.random.default_rng(7)
    n = 5000
    y = rng.random(n) < 0.1
    noise = rng.random((n, 2000)) < 0.02
    real = (y & (rng.random(n) < 0.5)) | (rng.random(n) < 0.01)
    X = sparse.csr_matrix(np.column_stack([real, noise]))
    fit = OutcomeAssociation().fit(X, y)
    chance = int(((fit.pvalue_[1:] < 0.01) & (fit.lift_[1:] > 1)).sum())
    assert chance >= 5  # the raw gate would have let these through
    assert fit.ranking().tolist() == [0]
    tested = (fit.support_ >= 10) & (fit.positives_ >= 5)
    assert fit.qvalue_[tested] == pytest.approx(false_discovery_control(fit.pvalue_[tested]))
    assert (fit.qvalue_[~tested] == 1).all()
