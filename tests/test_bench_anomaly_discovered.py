"""The discovered-issues benchmark's scoring helpers on hand-made data: the mean +
k sigma rule, alarm episodes, the overlap window, hits, root-cause matching and the
per-incident scoring. Nothing is timed and no history is ingested."""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

# `bench` is a folder at the repository root, not an installed package: plain
# `pytest` (as `make test` runs it) does not put the root on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.anomaly_discovered import (
    HISTORIES,
    Alarm,
    Spec,
    Truth,
    episodes,
    is_hit,
    ksigma_days,
    overlaps,
    root_match,
    scenario,
    score,
    truths,
    without_issue,
)

T0 = datetime(2026, 10, 1, 8, tzinfo=UTC)
DIMS = (("carrier", "EMS"), ("region", "华北"))


def _truth(**kw) -> Truth:
    values = {
        "slot": 0,
        "spec": Spec("ship", 5, 2, 2, 3.0),
        "start": T0,
        "end": T0 + timedelta(days=3),
        "topics": frozenset({"shipping_delay", "damaged_item"}),
        "dims": DIMS,
        "external_ids": frozenset({"a", "b", "c"}),
    }
    return Truth(**{**values, **kw})


def test_ksigma_alarms_above_mean_plus_k_sample_std_of_the_trailing_days() -> None:
    daily = np.array([10, 12, 10, 12, 14, 11, 30])
    window = np.array([10, 12, 10, 12], dtype=float)
    threshold = window.mean() + 2 * window.std(ddof=1)  # 13.31
    assert 13 < threshold < 14
    # Day 4 (14) alarms; day 5 (11) does not; day 6 (30) does.
    assert ksigma_days(daily, 2.0, trailing=4) == [4, 6]
    assert ksigma_days(daily, 3.0, trailing=4) == [6]
    # No day alarms before a full trailing window.
    assert ksigma_days(np.array([0, 0, 50]), 2.0, trailing=4) == []


def test_episodes_group_consecutive_days() -> None:
    assert episodes([3, 4, 5, 9, 11, 12]) == [(3, 6), (9, 10), (11, 13)]
    assert episodes([]) == []


def test_overlap_window_has_early_and_late_slack() -> None:
    t = _truth()
    hour = timedelta(hours=1)
    assert overlaps(T0 - 30 * hour, T0 - 11 * hour, t)  # ends inside the 12 h slack
    assert not overlaps(T0 - 30 * hour, T0 - 13 * hour, t)
    assert overlaps(t.end + 23 * hour, None, t)  # starts in the 24 h after the end
    assert not overlaps(t.end + 25 * hour, None, t)
    assert overlaps(T0 - 100 * hour, None, t)  # still open


def test_hits_need_volume_and_with_true_labels_a_topic_of_the_incident() -> None:
    t = _truth()
    inside = T0 + timedelta(hours=5)
    assert is_hit(Alarm(inside, None, topic="wrong_item"), t, match_topic=False)
    assert not is_hit(Alarm(inside, None, topic="wrong_item"), t, match_topic=True)
    assert is_hit(Alarm(inside, None, topic="damaged_item"), t, match_topic=True)
    assert is_hit(Alarm(inside, None, topic=None), t, match_topic=True)  # tenant-wide
    assert not is_hit(Alarm(inside, None, metric="fcr"), t, match_topic=False)


def test_root_match_exact_within_and_wrong() -> None:
    assert root_match(DIMS, DIMS) == "exact"
    assert root_match((("carrier", "EMS"),), DIMS) == "within"
    assert root_match((*DIMS, ("warehouse", "WH-BJ")), DIMS) == "within"
    assert root_match((("carrier", "SF"),), DIMS) == "wrong"
    assert root_match((), DIMS) == "wrong"
    assert without_issue((("issue", "3"), ("region", "华北"))) == (("region", "华北"),)


def test_score_counts_an_incident_once_and_every_unmatched_alarm_as_false() -> None:
    t = _truth()
    inside = T0 + timedelta(hours=5)
    later = T0 + timedelta(days=10)
    alarms = [
        Alarm(inside, inside + timedelta(days=2), root=DIMS, tickets=40, evidence=("a", "b", "x")),
        Alarm(inside, inside + timedelta(days=1), root=(("carrier", "EMS"),), tickets=10),
        Alarm(inside, None, metric="first_response_time"),  # overlaps: not false by time
        Alarm(later, later + timedelta(days=1)),  # overlaps nothing: false
    ]
    out = score([t], alarms, match_topic=False)
    (row,) = out["incidents"]
    assert row["caught"] and row["hits"] == 2 and row["any_metric"] == 3
    assert row["rc"] == "exact"  # the alarm with the most tickets
    assert row["evidence_injected"] == round(2 / 3, 3)
    assert row["delay_h"] == 5.0
    assert out["false_alarms"] == 1
    # With true labels an overlapping alarm that is not a hit is a false one.
    labelled = score([t], alarms, match_topic=True)
    assert labelled["false_alarms"] == 2
    missed = score([t], [Alarm(later, None)], match_topic=False)
    assert not missed["incidents"][0]["caught"] and missed["false_alarms"] == 1


def test_scenarios_spread_each_incident_over_its_topics_with_one_window() -> None:
    seed, specs = HISTORIES[0]
    s = scenario(seed, specs)
    assert len(s.incidents) == sum(sp.topics for sp in specs)
    assert not scenario(seed, specs, incidents=False).incidents
    found = truths(specs, s.incidents)
    assert [len(t.topics) for t in found] == [sp.topics for sp in specs]
    assert [len(t.dims) for t in found] == [sp.attributes for sp in specs]
    for a, b in itertools.pairwise(found):  # windows do not meet
        assert b.start - a.end > timedelta(hours=36)
    for t, sp in zip(found, specs, strict=True):
        assert all(s.daily_volume(topic) == sp.baseline for topic in t.topics)
