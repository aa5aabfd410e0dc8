"""The coarse-split step of choosing k: a language or product-line split is opened up
where its inside has clearer structure, and a plain blob is left whole."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

from ticketminer.issues import graph_ops as go


def _two_blocks(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Block A: 20 tight groups of 60 around one direction; block B: one diffuse blob
    of 1,200 around an orthogonal one. The silhouette's first peak is A | B."""
    rng = np.random.default_rng(seed)
    d = 64
    a, b = np.eye(d)[0], np.eye(d)[1]
    rows, truth = [], []
    for j in range(20):
        centre = a + 0.8 * go.normalize_rows(rng.normal(size=(1, d)))[0]
        rows.append(centre + 0.04 * rng.normal(size=(60, d)))
        truth += [j] * 60
    rows.append(b + 0.25 * rng.normal(size=(1200, d)))
    truth += [99] * 1200
    return go.normalize_rows(np.vstack(rows)).astype(np.float32), np.array(truth)


def test_the_first_peak_is_the_two_blocks():
    z, _ = _two_blocks()
    assert go.choose_k(z, 100, 0) == 2


def test_a_block_with_clearer_groups_inside_is_split_and_a_blob_is_not():
    z, truth = _two_blocks()
    coarse = go.kmeans(z, 2, 0)
    labels = go.split_coarse(z, coarse, seed=0, min_size=5, k_cap=500)
    in_a = truth != 99
    assert 18 <= len(np.unique(labels[in_a])) <= 22
    # k-means from one start may pair two groups and halve another; the rest are exact.
    assert normalized_mutual_info_score(truth[in_a], labels[in_a]) > 0.95
    assert len(np.unique(labels[~in_a])) == 1  # the diffuse block stays one cluster
    assert set(np.unique(labels)) == set(range(int(labels.max()) + 1))  # 0..k-1


def test_small_clusters_and_single_partitions_are_left_alone():
    z, _ = _two_blocks()
    coarse = go.kmeans(z, 2, 0)
    # Too small for MIN_STOP_K groups of 2 * min_size: nothing is tried.
    assert np.array_equal(go.split_coarse(z, coarse, 0, min_size=200, k_cap=500), coarse)
    one = np.zeros(len(z), dtype=np.int64)
    assert np.array_equal(go.split_coarse(z, one, 0, min_size=5, k_cap=500), one)


def test_near_duplicates_count_once():
    rng = np.random.default_rng(1)
    base = go.normalize_rows(rng.normal(size=(5, 32))).astype(np.float32)
    copies = go.normalize_rows(np.repeat(base, 20, axis=0) + 1e-3 * rng.normal(size=(100, 32)))
    z = np.vstack([copies, go.normalize_rows(rng.normal(size=(30, 32)))]).astype(np.float32)
    graph = go.knn_graph(z, 10)
    kept = go.distinct_points(graph, 0.95)
    # One per stock phrase (the first copy), and every distinct point.
    assert list(kept[:5]) == [0, 20, 40, 60, 80]
    assert list(kept[5:]) == list(range(100, 130))
