"""Issue groups: each issue with its nearest neighbours, whose summed volume a scan
watches beside the issues themselves.

A problem split over two or three issues (a phrasing, a language, a new wording)
splits its surge too, and each part can stay under its issue's threshold; summed over
the issues that sit close together in meaning, the surge adds up again. Neighbours
are judged on the issues' centroids: the semantic part when the model has one.
"""

from __future__ import annotations

import numpy as np

GROUP_SIMILARITY = 0.7  # cosine of two issues' centroids to count as neighbours
MAX_NEIGHBOURS = 2


def issue_centroids(sub_centroids: np.ndarray, parent: np.ndarray, n_issues: int) -> np.ndarray:
    """Unit centroid of each issue: the mean of its sub-issues' centroids."""
    out = np.zeros((n_issues, sub_centroids.shape[1]))
    np.add.at(out, parent, sub_centroids)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def neighbour_groups(
    centroids: np.ndarray,
    ids: np.ndarray,
    *,
    min_similarity: float = GROUP_SIMILARITY,
    max_neighbours: int = MAX_NEIGHBOURS,
) -> list[tuple[int, ...]]:
    """Each issue with its up to `max_neighbours` nearest issues at `min_similarity`
    or more, as sorted issue ids; issues without neighbours make no group, and a
    group two issues share is listed once."""
    if len(ids) < 2:
        return []
    sim = centroids @ centroids.T
    np.fill_diagonal(sim, -np.inf)
    groups: set[tuple[int, ...]] = set()
    for i in range(len(ids)):
        order = np.argsort(-sim[i], kind="stable")[:max_neighbours]
        near = [int(ids[j]) for j in order if sim[i, j] >= min_similarity]
        if near:
            groups.add(tuple(sorted([int(ids[i]), *near])))
    return sorted(groups)
