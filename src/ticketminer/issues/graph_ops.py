"""Numerical building blocks of the issue clustering: kNN graph smoothing, k-means,
cosine silhouette, choice of k. All deterministic for a fixed seed.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import KMeans

from ticketminer.domain.cancellation import raise_if_cancelled

# Rows of the similarity matrix computed at once: bounds memory to block x n floats.
_KNN_BLOCK = 1024
# Up to this k, choose_k's k-means takes the best of three starts (cheap at small k).
SMALL_K = 40
# The first-peak walk never stops before this k: at a handful of clusters the
# silhouette zigzags (a two-way split is often a local peak).
MIN_STOP_K = 10


def normalize_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def knn_graph(z: np.ndarray, n_neighbors: int) -> sp.csr_matrix:
    """Symmetric cosine kNN graph (weights = similarity clipped at 0), exact, by blocked
    matrix products: at 10k points this beats any index and is deterministic."""
    n = len(z)
    k = min(n_neighbors, n - 1)
    if k <= 0:
        return sp.csr_matrix((n, n), dtype=np.float32)
    idx = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _KNN_BLOCK):
        raise_if_cancelled()
        block = z[start : start + _KNN_BLOCK] @ z.T
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -np.inf
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        idx[start : start + len(block)] = part
        sims[start : start + len(block)] = np.take_along_axis(block, part, axis=1)
    np.maximum(sims, 0.0, out=sims)
    graph = sp.csr_matrix((sims.ravel(), idx.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
    return graph.maximum(graph.T).tocsr()


def distinct_points(graph: sp.csr_matrix, threshold: float) -> np.ndarray:
    """One index (the first) per group of near-duplicates: points joined by graph edges
    of similarity >= `threshold`, transitively. Sorted."""
    close = graph.multiply(graph >= threshold).tocsr()
    _, group = connected_components(close, directed=False)
    _, first = np.unique(group, return_index=True)
    return np.sort(first)


def diffuse(z: np.ndarray, graph: sp.csr_matrix, steps: int) -> np.ndarray:
    """Smooth each vector towards its neighbours' (random-walk diffusion, z <- z + P z).

    Why: on short texts two tickets about one problem often share no word; their
    neighbours do. A few steps give most of what spectral clustering gives on a kNN
    graph, at the cost of sparse products instead of an eigensolver."""
    degree = np.asarray(graph.sum(axis=1)).ravel()
    degree[degree == 0] = 1.0
    walk = sp.diags((1.0 / degree).astype(np.float32)) @ graph
    out = z
    for _ in range(steps):
        out = normalize_rows(out + walk @ out)
    return out.astype(np.float32)


def kmeans_plus_plus(
    z: np.ndarray, k: int, rng: np.random.Generator, trials: int = 3
) -> np.ndarray:
    """Greedy k-means++ seeding with a few candidates per step, vectorised in numpy.

    sklearn's version makes many small calls per centre and dominated the fit time for
    k in the hundreds; this one costs one (n x trials) product per centre."""
    n = len(z)
    sq = np.einsum("ij,ij->i", z, z)
    centers = np.empty((k, z.shape[1]), dtype=z.dtype)
    centers[0] = z[rng.integers(n)]
    closest = np.maximum(sq + sq[0] - 2 * (z @ centers[0]), 0)
    for c in range(1, k):
        if c % 16 == 0:
            raise_if_cancelled()
        total = float(closest.sum())
        if total <= 0:
            picks = rng.integers(n, size=trials)
        else:
            picks = np.searchsorted(np.cumsum(closest), rng.random(trials) * total)
            picks = np.minimum(picks, n - 1)
        cand = z[picks]
        dist = np.maximum(
            sq[:, None] + np.einsum("ij,ij->i", cand, cand)[None, :] - 2 * (z @ cand.T), 0
        )
        new = np.minimum(closest[:, None], dist)
        best = int(np.argmin(new.sum(axis=0)))
        centers[c] = cand[best]
        closest = new[:, best]
    return centers


def kmeans(
    z: np.ndarray,
    k: int,
    seed: int,
    n_init: int = 1,
    max_iter: int = 100,
    seeds: np.ndarray | None = None,
) -> np.ndarray:
    """Lloyd k-means from k-means++ seeds, best of `n_init` by inertia (on unit vectors
    this is close to spherical k-means). `seeds`: precomputed k-means++ centres, of
    which the first k are used (a prefix of a k-means++ sequence is one itself)."""
    k = max(1, min(k, len(z)))
    rng = np.random.default_rng(seed)
    best_labels, best_inertia = None, np.inf
    for _ in range(n_init):
        raise_if_cancelled()
        init = seeds[:k] if seeds is not None else kmeans_plus_plus(z, k, rng)
        model = KMeans(k, init=init, n_init=1, max_iter=max_iter, random_state=seed).fit(z)
        if model.inertia_ < best_inertia:
            best_labels, best_inertia = model.labels_, model.inertia_
    return np.asarray(best_labels, dtype=np.int64)


def cluster_sums(z: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster sum of vectors and size (labels < 0 ignored)."""
    ok = labels >= 0
    onehot = sp.csr_matrix(
        (np.ones(int(ok.sum()), dtype=np.float32), (labels[ok], np.flatnonzero(ok))),
        shape=(k, len(z)),
    )
    sums = np.asarray(onehot @ z, dtype=np.float64)
    return sums, np.bincount(labels[ok], minlength=k)


def cosine_silhouette(z: np.ndarray, labels: np.ndarray) -> float:
    """Exact mean silhouette with cosine distance for unit vectors, in O(n k d).

    For unit vectors the mean distance to a cluster is 1 - z . sum_c / n_c, so no n x n
    matrix is needed (singletons score 0, as in sklearn)."""
    k = int(labels.max()) + 1
    if k < 2:
        return -1.0
    sums, sizes = cluster_sums(z, labels, k)
    dots = z @ sums.T.astype(np.float32)
    own = dots[np.arange(len(z)), labels]
    own_size = sizes[labels].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(own_size > 1, (own_size - own) / np.maximum(own_size - 1, 1), 0.0)
        mean_dist = 1.0 - dots / np.maximum(sizes, 1)[None, :]
    mean_dist[:, sizes == 0] = np.inf
    mean_dist[np.arange(len(z)), labels] = np.inf
    b = mean_dist.min(axis=1)
    s = np.where(own_size > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(np.mean(s))


def choose_k(z: np.ndarray, k_max: int, seed: int, tolerance: float = 0.02) -> int:
    """The smallest k whose cosine silhouette of k-means on `z` is within `tolerance`
    of the best up to the curve's first peak.

    The first peak, because on tickets the silhouette climbs again at very large k:
    near-identical form tickets make tiny, tight clusters, and on a templated history
    that second climb ends higher than the first (0.535 at k = 500 against 0.503 at
    k = 30, for 13 problems). The grid walk stops once the silhouette has fallen below
    the best by more than `tolerance` twice in a row (from MIN_STOP_K on). Within the
    peak, parsimony: the
    smallest k near the best keeps one issue per problem instead of one per template.

    A coarse geometric grid, then a few bisection rounds: about 15 k-means runs
    whatever the range."""
    k_max = max(2, min(k_max, len(z) - 1))
    seeds = kmeans_plus_plus(z, k_max, np.random.default_rng(seed))
    cache: dict[int, float] = {}

    def score(k: int) -> float:
        if k not in cache:
            raise_if_cancelled()  # each k is a k-means run: a natural point to stop
            if k <= SMALL_K:  # a few clusters: one unlucky start sways the silhouette
                labels = kmeans(z, k, seed, n_init=3, max_iter=50)
            else:
                labels = kmeans(z, k, seed, max_iter=50, seeds=seeds)
            cache[k] = cosine_silhouette(z, labels)
        return cache[k]

    grid = sorted({round(2 * 1.5**i) for i in range(40) if 2 * 1.5**i <= k_max} | {k_max})
    best, below, limit = -2.0, 0, grid[-1]
    for k in grid:
        value = score(k)
        if value > best:
            best, below = value, 0
        elif value < best - tolerance and k >= MIN_STOP_K:
            below += 1
            if below >= 2:
                limit = k
                break

    def chosen() -> int:
        region = {k: v for k, v in cache.items() if k <= limit}
        top = max(region.values())
        return min(k for k, v in region.items() if v >= top - tolerance)

    for _ in range(3):  # narrow down between the chosen value and its evaluated neighbours
        tried = sorted(k for k in cache if k <= limit)
        pick = chosen()
        i = tried.index(pick)
        lo, hi = tried[max(i - 1, 0)], tried[min(i + 1, len(tried) - 1)]
        for mid in sorted({(lo + pick) // 2, (pick + hi + 1) // 2}):
            if lo < mid < hi:
                score(mid)
    return chosen()


# A coarse cluster is split when its own best split scores this much above the
# coarse partition's silhouette (see split_coarse).
SPLIT_MARGIN = 0.05
# At most this many members of a coarse cluster choose its inner k.
SPLIT_PROBE = 3000


def split_coarse(
    z: np.ndarray, labels: np.ndarray, seed: int, min_size: int, k_cap: int, n_init: int = 1
) -> np.ndarray:
    """Labels with each coarse cluster split where its own structure is clearer than
    the coarse partition's.

    When choose_k's first peak is a handful of clusters, it is usually a split by
    language or product line: on a tenant whose English tickets are about banking and
    whose Chinese tickets are shop reviews, k = 2 wins and 77 English intents become
    one issue (measured on the re-cluster benchmark's 1M tickets). Each cluster large
    enough for MIN_STOP_K groups of `2 * min_size` gets its own choose_k; the split is
    kept when its silhouette beats the coarse one by SPLIT_MARGIN (English banking:
    0.53 against 0.38; most shop categories stayed whole at 0.30-0.38). The semantic
    merge above the sub-issues then decides which pieces are one problem."""
    k = int(labels.max()) + 1 if len(labels) else 0
    if k < 2:
        return labels
    coarse = cosine_silhouette(z, labels)
    out = labels.copy()
    next_label = k
    for c in range(k):
        members = np.flatnonzero(labels == c)
        inner_cap = min(k_cap, len(members) // (2 * min_size))
        if inner_cap < MIN_STOP_K:
            continue
        probe = members
        if len(members) > SPLIT_PROBE:  # k from a sample: choose_k is ~15 k-means runs
            pick = np.random.default_rng(seed + c).choice(len(members), SPLIT_PROBE, False)
            probe = members[np.sort(pick)]
        inner_k = choose_k(z[probe], min(inner_cap, len(probe) // (2 * min_size)), seed)
        inner = kmeans(z[members], inner_k, seed, n_init=n_init)
        if cosine_silhouette(z[members], inner) < coarse + SPLIT_MARGIN:
            continue
        moved = inner > 0  # part 0 keeps the label c; the others get new ones
        out[members[moved]] = next_label + inner[moved] - 1
        next_label += int(inner.max())
    return out


def spherical_refine(
    z: np.ndarray, centroids: np.ndarray, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    """A few spherical k-means steps on all sample vectors, started from `centroids`
    (found on the smoothed graph sample). Empty clusters keep their centroid."""
    labels = np.argmax(z @ centroids.T, axis=1)
    for _ in range(iterations):
        raise_if_cancelled()
        sums, sizes = cluster_sums(z, labels, len(centroids))
        new = centroids.copy()
        nz = sizes > 0
        new[nz] = normalize_rows(sums[nz]).astype(np.float32)
        new_labels = np.argmax(z @ new.T, axis=1)
        centroids = new
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return labels, centroids


def merge_close(centroids: np.ndarray, min_cosine: float) -> np.ndarray:
    """Fold together centroids closer than `min_cosine` (closest pair first): two
    candidate issues nearer to each other than a typical ticket is to its own issue
    are one issue."""
    merged = [c.astype(np.float64) for c in centroids]
    while len(merged) > 1:
        c = normalize_rows(np.vstack(merged))
        sims = c @ c.T
        np.fill_diagonal(sims, -np.inf)
        i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
        if sims[i, j] < min_cosine:
            break
        merged[i] = merged[i] + merged[j]
        del merged[j]
    return normalize_rows(np.vstack(merged)).astype(np.float32)
