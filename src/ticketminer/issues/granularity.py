"""Issues from sub-issues: which variants are one problem a support lead acts on.

The fine clusters (sub-issues) follow phrasing and language: a templated form, a
Chinese and an English wording of "parcel late" land apart. An issue joins the
sub-issues whose *semantic* centroids (a language-neutral space) are as close as
the tighter one's own members are to it: similarity relative to cohesion,

    r(i, j) = cos(c_i, c_j) / max(cohesion_i, cohesion_j),

(the tighter cluster sets the bar: measured against a geometric mean, a loose cluster
looked close to everything and drew in unrelated ones)
merged by average linkage while r >= `threshold`. Two sub-issues written in
different languages get `cross_language_bonus` added to r: a language difference
explains why the words differ, never a difference of problem.

Measured on data with known problems (see BENCHMARKS.md): templated bilingual
histories fold their phrasings and languages into one issue each, while a set of
fine, related intents (Banking77) keeps most of them apart.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

CJK, LATIN, MIXED = 1, 0, -1
# A sub-issue counts as written in one language when this share of its tickets is.
LANGUAGE_SHARE = 0.7


def script_of(docs_tokens: list[list[str]]) -> np.ndarray:
    """Per doc: CJK when most tokens are Han, LATIN when most are Latin, else MIXED."""
    out = np.full(len(docs_tokens), MIXED, dtype=np.int8)
    for i, doc in enumerate(docs_tokens):
        han = sum(1 for t in doc if t and "\u3400" <= t[0] <= "\u9fff")
        latin = sum(1 for t in doc if t and t[0].isascii() and t[0].isalpha())
        if han > latin:
            out[i] = CJK
        elif latin > han:
            out[i] = LATIN
    return out


def sub_issue_languages(sub_labels: np.ndarray, scripts: np.ndarray, k: int) -> np.ndarray:
    """CJK, LATIN or MIXED per sub-issue, by the share of its docs in each script."""
    out = np.full(k, MIXED, dtype=np.int8)
    for c in range(k):
        members = scripts[sub_labels == c]
        if not len(members):
            continue
        if np.mean(members == CJK) >= LANGUAGE_SHARE:
            out[c] = CJK
        elif np.mean(members == LATIN) >= LANGUAGE_SHARE:
            out[c] = LATIN
    return out


def merge_sub_issues(
    centroids: np.ndarray,
    cohesion: np.ndarray,
    languages: np.ndarray,
    threshold: float,
    cross_language_bonus: float,
) -> np.ndarray:
    """The issue of each sub-issue, numbered 0..m-1 in order of first sub-issue.

    centroids: (k, d) unit semantic centroids; cohesion: (k,) mean cosine of members
    to their centroid; languages: (k,) CJK / LATIN / MIXED."""
    k = len(centroids)
    if k < 2:
        return np.zeros(k, dtype=np.int64)
    tight = np.maximum(cohesion, 1e-6)
    own = np.maximum(tight[:, None], tight[None, :])
    relative = (centroids @ centroids.T) / own
    known = languages >= 0
    cross = known[:, None] & known[None, :] & (languages[:, None] != languages[None, :])
    relative = relative + cross_language_bonus * cross
    distance = np.clip(1.0 - relative, 0.0, None)
    distance = (distance + distance.T) / 2
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    raw = fcluster(tree, t=1.0 - threshold, criterion="distance")
    # Renumber by first appearance so the same input gives the same numbers.
    order = {label: i for i, label in enumerate(dict.fromkeys(raw.tolist()))}
    return np.array([order[label] for label in raw.tolist()], dtype=np.int64)


def cohesion_of(vectors: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Mean cosine of each cluster's members to its centroid (1 for an empty one)."""
    k = len(centroids)
    sims = np.einsum("ij,ij->i", vectors, centroids[np.maximum(labels, 0)])
    ok = labels >= 0
    total = np.bincount(labels[ok], weights=sims[ok], minlength=k)
    counts = np.bincount(labels[ok], minlength=k)
    return np.divide(total, counts, out=np.ones(k), where=counts > 0)
