"""Map the clusters of a new fit onto the ids of the previous one.

Ids are what callers store, so an issue that did not really change must keep its
id. Clusters are matched by the tickets they share (not by centroids, which live
in different vector spaces from one fit to the next): an optimal one-to-one
matching on Jaccard overlap keeps ids, and the overlap left over tells a merge
from a split, a birth from a retirement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from ticketminer.domain.issues import UNASSIGNED, LineageKind

# A new cluster keeps an old id only if they share at least this Jaccard overlap.
MIN_KEEP_JACCARD = 0.3
# A cluster came "from" an old issue when that issue supplies this share of it.
MIN_SOURCE_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    kind: LineageKind
    issue_id: int
    tickets: int
    related_issue_id: int | None = None


@dataclass(slots=True)
class IdMapping:
    """`ids[j]` is the issue id of new cluster j; `events` say what changed."""

    ids: list[int]
    events: list[PlannedEvent] = field(default_factory=list)
    kept: int = 0
    next_id: int = 1


def _contingency(old: np.ndarray, new: np.ndarray, old_ids: list[int], n_new: int) -> np.ndarray:
    """counts[i, j]: tickets in old issue old_ids[i] and new cluster j."""
    index = {issue: i for i, issue in enumerate(old_ids)}
    lookup = np.full(max(old_ids, default=0) + 1, -1, dtype=np.int64)
    for issue, i in index.items():
        lookup[issue] = i
    in_range = (old >= 0) & (old < len(lookup))
    rows = np.full(len(old), -1, dtype=np.int64)
    rows[in_range] = lookup[old[in_range]]
    both = (rows >= 0) & (new >= 0)
    flat = rows[both] * n_new + new[both]
    return np.bincount(flat, minlength=len(old_ids) * n_new).reshape(len(old_ids), n_new)


def map_clusters(
    old_issue: np.ndarray,
    new_cluster: np.ndarray,
    n_new: int,
    active_ids: list[int],
    next_id: int,
) -> IdMapping:
    """Give each new cluster an id.

    old_issue: per ticket, its current issue id (UNASSIGNED for none, or for tickets
    that are new since the last fit). new_cluster: per ticket, its cluster in the new
    fit (-1 unclustered). active_ids: the ids the previous fit published.
    """
    old_issue = np.asarray(old_issue, dtype=np.int64)
    new_cluster = np.asarray(new_cluster, dtype=np.int64)
    old_ids = sorted(i for i in active_ids if i != UNASSIGNED)
    counts = _contingency(old_issue, new_cluster, old_ids, n_new)
    new_sizes = np.bincount(new_cluster[new_cluster >= 0], minlength=n_new)
    old_sizes = np.array([int(np.sum(old_issue == i)) for i in old_ids], dtype=np.int64)

    ids: list[int] = [UNASSIGNED] * n_new
    matched_old: dict[int, int] = {}  # old row -> new cluster
    kept = 0
    if old_ids and n_new:
        union = old_sizes[:, None] + new_sizes[None, :] - counts
        jaccard = np.divide(counts, union, out=np.zeros(counts.shape), where=union > 0)
        rows, cols = linear_sum_assignment(-jaccard)
        for i, j in zip(rows, cols, strict=True):
            if jaccard[i, j] >= MIN_KEEP_JACCARD:
                ids[j] = old_ids[i]
                matched_old[i] = j
                kept += 1

    events: list[PlannedEvent] = []
    for j in range(n_new):
        if ids[j] != UNASSIGNED:
            continue
        ids[j] = next_id
        next_id += 1
        source = int(np.argmax(counts[:, j])) if old_ids else -1
        from_old = (
            source >= 0
            and new_sizes[j] > 0
            and counts[source, j] >= MIN_SOURCE_SHARE * new_sizes[j]
            and source in matched_old
        )
        if from_old:
            events.append(
                PlannedEvent(LineageKind.SPLIT, ids[j], int(new_sizes[j]), old_ids[source])
            )
        else:
            events.append(PlannedEvent(LineageKind.BORN, ids[j], int(new_sizes[j])))

    for i, issue in enumerate(old_ids):
        if i in matched_old:
            continue
        target = int(np.argmax(counts[i])) if n_new else -1
        moved = int(counts[i, target]) if target >= 0 else 0
        if target >= 0 and old_sizes[i] > 0 and moved >= MIN_SOURCE_SHARE * old_sizes[i]:
            events.append(PlannedEvent(LineageKind.MERGED, issue, moved, ids[target]))
        else:
            events.append(PlannedEvent(LineageKind.RETIRED, issue, int(old_sizes[i])))
    return IdMapping(ids, events, kept, next_id)
