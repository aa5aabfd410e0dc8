"""Root-cause localisation on synthetic ticket cubes, a float KPI, and one Squeeze B0 setting."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest

from ticketminer.anomalies.rootcause import RootCause, RootCauseLocalizer

NAMES = ["carrier", "region", "product", "channel"]
CATEGORIES = [
    ["SF", "YTO", "ZTO", "JD", "EMS"],
    ["华南", "华北", "华东", "西南", "东北", "西北"],
    [f"P{i}" for i in range(8)],
    ["app", "web", "phone"],
]
SF_SOUTH = (("carrier", "SF"), ("region", "华南"))
P7_APP = (("channel", "app"), ("product", "P7"))
B0 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "squeeze_b0_subset"

Dims = tuple[tuple[str, str], ...]


def matches(X: np.ndarray, dims: Dims) -> np.ndarray:
    ok = np.ones(len(X), dtype=bool)
    for name, value in dims:
        j = NAMES.index(name)
        ok &= X[:, j] == CATEGORIES[j].index(value)
    return ok


def ticket_cube(
    seed: int, surges: dict[Dims, float] | None = None, rate: float = 3.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every leaf of carrier x region x product x channel once: small Poisson counts
    around an uneven baseline (the expected values), multiplied inside each surge."""
    rng = np.random.default_rng(seed)
    X = np.array(list(itertools.product(*(range(len(c)) for c in CATEGORIES))))
    weight = [rng.uniform(0.5, 1.5, len(c)) for c in CATEGORIES]
    expected = rate * np.prod([w[X[:, j]] for j, w in enumerate(weight)], axis=0)
    factor = np.ones(len(X))
    for dims, times in (surges or {}).items():
        factor[matches(X, dims)] *= times
    return X, rng.poisson(expected * factor).astype(float), expected


def fit(X: np.ndarray, observed: np.ndarray, expected: np.ndarray, **params) -> RootCauseLocalizer:
    model = RootCauseLocalizer(**params)
    return model.fit(X, observed, expected, feature_names=NAMES, categories=CATEGORIES)


def dims_of(causes: list[RootCause]) -> list[Dims]:
    return [c.dims for c in causes]


def test_pair_surge_is_the_top_candidate() -> None:
    model = fit(*ticket_cube(1, {SF_SOUTH: 4.0}))
    top = model.candidates_[0]
    assert top.dims == SF_SOUTH
    assert dims_of(model.root_cause_set_) == [SF_SOUTH]
    assert top.explained_share > 0.8
    assert top.lift > 2.5
    assert top.pvalue < 1e-10
    assert top.observed > 3 * top.expected
    assert model.direction_ == 1


def test_single_attribute_cause_is_named_coarsely() -> None:
    cause = (("product", "P3"),)
    model = fit(*ticket_cube(2, {cause: 3.0}))
    assert model.candidates_[0].dims == cause
    assert dims_of(model.root_cause_set_) == [cause]


def test_two_independent_causes_are_both_in_the_set() -> None:
    model = fit(*ticket_cube(3, {SF_SOUTH: 4.0, P7_APP: 3.0}))
    assert sorted(dims_of(model.root_cause_set_)) == sorted([SF_SOUTH, P7_APP])
    assert sum(c.explained_share for c in model.root_cause_set_) > 0.8


def test_two_siblings_are_not_merged_into_their_parent() -> None:
    """SF in 华南 and in 华北 surge, SF elsewhere does not: "carrier=SF" is too coarse."""
    north = (("carrier", "SF"), ("region", "华北"))
    model = fit(*ticket_cube(4, {SF_SOUTH: 4.0, north: 4.0}))
    assert sorted(dims_of(model.root_cause_set_)) == sorted([SF_SOUTH, north])


@pytest.mark.parametrize("seed", range(5))
def test_no_anomaly_gives_no_candidates(seed: int) -> None:
    """Poisson noise around the expected values only: nothing is significant after the
    Bonferroni correction, so both lists are empty."""
    model = fit(*ticket_cube(100 + seed))
    assert model.root_cause_set_ == []
    assert model.candidates_ == []
    assert model.n_tests_ > 0


def test_everything_shifting_names_no_root_cause() -> None:
    """A uniform x1.5 over all leaves is not localised: no value moved more than the rest."""
    X, _, expected = ticket_cube(5)
    observed = np.random.default_rng(5).poisson(1.5 * expected).astype(float)
    assert fit(X, observed, expected).root_cause_set_ == []


def test_one_row_per_ticket_with_a_near_unique_order_id() -> None:
    """Window tickets (observed 1) and baseline rows (expected only), each with its own
    order id: the id is skipped, the rows summed, the answer that of the leaf cube."""
    X, observed, expected = ticket_cube(6, {SF_SOUTH: 4.0})
    leaf_level = fit(X, observed, expected)
    window = np.repeat(np.arange(len(X)), observed.astype(int))
    rows = np.concatenate([window, np.arange(len(X))])
    obs = np.concatenate([np.ones(len(window)), np.zeros(len(X))])
    exp = np.concatenate([np.zeros(len(window)), expected])
    order_id = np.random.default_rng(6).permutation(len(rows))
    model = RootCauseLocalizer().fit(
        np.column_stack([X[rows], order_id]),
        obs,
        exp,
        feature_names=[*NAMES, "order_id"],
        categories=[*CATEGORIES, [f"o{i}" for i in range(len(rows))]],
    )
    assert model.skipped_features_ == ["order_id"]
    assert all(name != "order_id" for c in model.candidates_ for name, _ in c.dims)
    assert dims_of(model.candidates_) == dims_of(leaf_level.candidates_)
    for ours, theirs in zip(model.candidates_, leaf_level.candidates_, strict=True):
        assert ours.observed == theirs.observed
        assert ours.expected == pytest.approx(theirs.expected)


def test_missing_values_never_match() -> None:
    """Rows without a region (-1) count for their carrier but for no region."""
    X, observed, expected = ticket_cube(7, {SF_SOUTH: 4.0})
    rng = np.random.default_rng(7)
    extra = X[rng.choice(len(X), 200)].copy()
    extra[:, 0] = 0  # SF
    extra[:, 1] = -1  # region unknown
    extra_exp = np.full(len(extra), 3.0)
    X_all = np.vstack([X, extra])
    obs_all = np.concatenate([observed, rng.poisson(extra_exp).astype(float)])
    exp_all = np.concatenate([expected, extra_exp])
    model = fit(X_all, obs_all, exp_all)
    assert model.candidates_[0].dims == SF_SOUTH
    for cause in model.candidates_:
        mask = np.ones(len(X_all), dtype=bool)
        for name, value in cause.dims:
            j = NAMES.index(name)
            mask &= X_all[:, j] == CATEGORIES[j].index(value)
        assert cause.observed == obs_all[mask].sum()
        assert cause.expected == pytest.approx(exp_all[mask].sum())


def test_same_input_same_output() -> None:
    data = ticket_cube(8, {SF_SOUTH: 4.0, P7_APP: 3.0})
    first, second = fit(*data), fit(*data)
    assert first.candidates_ == second.candidates_
    assert first.root_cause_set_ == second.root_cause_set_
    order = np.random.default_rng(8).permutation(len(data[0]))
    shuffled = fit(*(a[order] for a in data))
    assert dims_of(shuffled.candidates_) == dims_of(first.candidates_)


def test_drop_in_a_float_kpi_with_relative_noise() -> None:
    """Large float values with 1 % multiplicative noise (B0-like) and a 40 % drop."""
    rng = np.random.default_rng(9)
    X = np.array(list(itertools.product(*(range(len(c)) for c in CATEGORIES))))
    expected = rng.lognormal(6.0, 2.0, len(X))
    observed = expected * (1 + 0.01 * rng.standard_normal(len(X)))
    observed[matches(X, SF_SOUTH)] *= 0.6
    model = fit(X, observed, expected)
    assert model.direction_ == -1
    assert dims_of(model.root_cause_set_) == [SF_SOUTH]
    assert model.root_cause_set_[0].lift < 0.7
    assert model.noise_ is not None and not model.noise_.count


def test_one_outlier_leaf_in_a_float_kpi_names_no_combination() -> None:
    """A single leaf x3: its parents did not move, and a leaf is finer than max_dims."""
    rng = np.random.default_rng(11)
    X = np.array(list(itertools.product(*(range(len(c)) for c in CATEGORIES))))
    expected = rng.lognormal(6.0, 2.0, len(X))
    observed = expected * (1 + 0.01 * rng.standard_normal(len(X)))
    observed[123] *= 3.0
    model = fit(X, observed, expected)
    assert model.root_cause_set_ == []
    assert model.candidates_ == []


def test_rejects_malformed_input() -> None:
    X, observed, expected = ticket_cube(10)
    with pytest.raises(ValueError, match="non-negative"):
        fit(X, -observed, expected)
    bad = X.copy()
    bad[0, 0] = len(CATEGORIES[0])
    with pytest.raises(ValueError, match="carrier"):
        fit(bad, observed, expected)


def _load_b0(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], list[list[str]]]:
    with gzip.open(path, "rt") as fh:
        header = fh.readline().strip().split(",")
        table = np.loadtxt(fh, delimiter=",", dtype=str, ndmin=2)
    categories, codes = [], []
    for j in range(2, len(header)):
        values, inverse = np.unique(table[:, j], return_inverse=True)
        categories.append([str(v) for v in values])
        codes.append(inverse.ravel())
    real, predict = table[:, 0].astype(float), table[:, 1].astype(float)
    return np.column_stack(codes), real, predict, header[2:], categories


@pytest.mark.data
def test_squeeze_b0_layer_2_two_elements() -> None:
    setting = B0 / "B_cuboid_layer_2_n_ele_2"
    if not setting.is_dir():
        pytest.skip(f"Squeeze B0 subset not found at {setting} (../shared/data is absent)")
    labels = {}
    for line in (setting / "injection_info.csv").read_text().splitlines()[1:]:
        fields = line.split(",")
        labels[int(fields[4])] = {"&".join(sorted(e.split("&"))) for e in fields[2].split(";")}
    tp = fp = fn = 0
    for snapshot in sorted(setting.glob("*.csv.gz")):
        codes, real, predict, names, categories = _load_b0(snapshot)
        model = RootCauseLocalizer().fit(
            codes, real, predict, feature_names=names, categories=categories
        )
        found = {"&".join(f"{k}={v}" for k, v in c.dims) for c in model.root_cause_set_}
        truth = labels[int(snapshot.name.split(".")[0])]
        tp, fp, fn = tp + len(found & truth), fp + len(found - truth), fn + len(truth - found)
    assert 2 * tp / (2 * tp + fp + fn) >= 0.9
