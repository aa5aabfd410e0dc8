"""Id mapping between fits: kept ids, births, merges, splits and retirements."""

from __future__ import annotations

import numpy as np

from ticketminer.domain.issues import UNASSIGNED
from ticketminer.issues.lineage import map_clusters


def _kinds(mapping):
    return sorted((e.kind.value, e.issue_id, e.related_issue_id) for e in mapping.events)


def test_first_fit_gives_every_cluster_a_born_event():
    old = np.zeros(6, dtype=np.int64)
    mapping = map_clusters(old, np.array([0, 0, 1, 1, 2, -1]), 3, [], next_id=1)
    assert mapping.ids == [1, 2, 3]
    assert _kinds(mapping) == [("born", 1, None), ("born", 2, None), ("born", 3, None)]


def test_same_partition_keeps_every_id_even_if_cluster_order_changes():
    old = np.array([7, 7, 9, 9, 4, 4])
    mapping = map_clusters(old, np.array([2, 2, 0, 0, 1, 1]), 3, [4, 7, 9], next_id=10)
    assert mapping.ids == [9, 4, 7]
    assert mapping.events == []
    assert mapping.kept == 3


def test_new_distinct_cluster_is_born_and_others_keep_ids():
    old = np.array([1, 1, 1, 2, 2, 2, UNASSIGNED, UNASSIGNED, UNASSIGNED])
    new = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    mapping = map_clusters(old, new, 3, [1, 2], next_id=3)
    assert mapping.ids == [1, 2, 3]
    assert _kinds(mapping) == [("born", 3, None)]


def test_merge_records_the_absorbed_issue():
    old = np.array([1] * 6 + [2] * 3)
    new = np.zeros(9, dtype=np.int64)
    mapping = map_clusters(old, new, 1, [1, 2], next_id=3)
    assert mapping.ids == [1]
    assert _kinds(mapping) == [("merged", 2, 1)]


def test_split_records_the_source_issue():
    old = np.array([1] * 10)
    new = np.array([0] * 6 + [1] * 4)
    mapping = map_clusters(old, new, 2, [1], next_id=2)
    assert mapping.ids == [1, 2]
    assert _kinds(mapping) == [("split", 2, 1)]


def test_scattered_issue_is_retired():
    old = np.array([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
    # Issue 3's tickets scatter over the two others and the pool.
    new = np.array([0, 0, 0, 0, 1, 1, 1, 1, 0, 1, -1, -1])
    mapping = map_clusters(old, new, 2, [1, 2, 3], next_id=4)
    assert mapping.ids == [1, 2]
    assert _kinds(mapping) == [("retired", 3, None)]
