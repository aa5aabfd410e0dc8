"""Issue groups: neighbours by meaning, and a surge split over fragments of one
problem that only their sum shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np

from ticketminer.anomalies.hourly import HOUR_US, grid_for
from ticketminer.anomalies.issue_groups import issue_centroids, neighbour_groups
from ticketminer.domain.anomalies import VOLUME
from ticketminer.services.anomaly_scan import Scan, ScanInput
from ticketminer.synth import TOPIC_KEYS, Incident, Scenario, counts_frame
from ticketminer.synth.detection import facts_of

FRAGMENTS = (1, 2, 3, 4, 5, 6, 7, 8)


def test_neighbours_are_the_issues_close_in_meaning() -> None:
    # Two sub-issues of issue 10 point the same way; 20 is near 10, 30 far from both.
    subs = np.array([[1.0, 0.1, 0.0], [1.0, -0.1, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0]])
    subs /= np.linalg.norm(subs, axis=1, keepdims=True)
    centroids = issue_centroids(subs, np.array([0, 0, 1, 2]), 3)
    np.testing.assert_allclose(np.linalg.norm(centroids, axis=1), 1.0)
    ids = np.array([10, 20, 30])
    assert neighbour_groups(centroids, ids, min_similarity=0.7) == [(10, 20)]
    assert neighbour_groups(centroids, ids, min_similarity=0.99) == []
    assert neighbour_groups(centroids[:1], ids[:1]) == []


def _fragmented(with_surge: bool):
    """Shipping delays at 40 a day, written eight ways (eight issues of 5 a day); the
    surge doubles them for three days, a few more tickets for each fragment."""
    volume = dict.fromkeys(TOPIC_KEYS, 0.0)
    volume["shipping_delay"] = 40.0
    volume["invoice"] = 300.0
    base = Scenario(weeks=8, seed=3, topic_volume=volume)
    start = base.at(base.days - 10, 9)
    surge = Incident(
        id="surge",
        kind="volume_surge",
        topic="shipping_delay",
        start=start,
        end=start + timedelta(days=3),
        multiplier=2.0,
    )
    frame = counts_frame(replace(base, incidents=(surge,)) if with_surge else base)
    facts = facts_of(frame)
    topic = frame.topic.astype(np.int64)
    shipping = topic == TOPIC_KEYS.index("shipping_delay")
    issues = np.where(shipping, 1 + np.arange(len(topic)) % 8, 10)  # fragments 1-8
    created = facts.created_us
    end = int(created.max()) + 1
    end += -end % HOUR_US
    grid = grid_for(int(created.min()), end, 120)
    negative = np.zeros(len(topic), dtype=np.int8)
    return facts, issues, negative, grid, surge


def _volume_findings(groups):
    facts, issues, negative, grid, _ = _fragmented(with_surge=True)
    data = ScanInput(facts, issues, negative, grid, issue_groups=groups)
    return [f for f in Scan(data).run() if f.detection.metric == VOLUME]


def test_a_surge_split_over_four_fragments_adds_up_in_their_group() -> None:
    alone = _volume_findings(())
    grouped = _volume_findings((FRAGMENTS,))
    assert alone == []  # no fragment surges enough on its own
    assert len(grouped) == 1
    (found,) = grouped
    assert found.members == FRAGMENTS and set(found.issue_ids) == set(FRAGMENTS)
    _, _, _, _, surge = _fragmented(with_surge=True)
    assert abs(found.detection.start - surge.start) <= timedelta(hours=12)
