"""Incident detection with DISCOVERED issues: the whole pipeline on generated text.

Each incident history is 8 weeks of a bilingual helpdesk (zh, en and mixed tickets,
several phrasings per topic) from the project's generator, ingested, re-clustered and
scanned in process by the service, which finds the issues itself; the generator's
topic labels are used only to score. A history holds four incidents, a week apart
(days 29, 36, 43 and 50, after a full 28-day baseline), each a 3-day volume surge in
its own group of topics and its own attribute slice, so one incident does not raise
another's baseline. The incidents vary what makes real ones hard to see: how many
topics (hence discovered issues) the extra tickets spread over (1 to 4), how many
attributes the root cause has (1 to 3), the per-topic baseline of those topics (3 to
300 tickets a day) and the surge (x1.5, x3, x10). Quiet histories (the same volumes,
no incident) count false alarms; so do anomalies in incident histories that overlap
no incident.

Scoring, discovered issues: an incident is caught when a volume anomaly overlaps its
window (starts before the incident's end + 24 h and ends after its start - 12 h),
once however many do; the anomaly with the most tickets among them is "the" anomaly
whose first root cause must equal the incident's attributes (the "issue" dimension
dropped). False alarms are anomalies of any metric overlapping no incident, per 10
issue-months (discovered issues x months of history).

Anchors in the same run, on the TRUE topic labels: the daily mean + k sigma rule
(k = 2, 3; a topic's local-day count above the mean + k std of its trailing 28 days),
and the service's own scan and explainer on the true topics (`scan_frame`, the
ceiling). They must alarm in one of the incident's topics (or tenant-wide) to catch
it, and every other alarm is a false one.

Run: `python -m bench.anomaly_discovered` (writes artifacts/bench/anomaly_discovered.json;
about 20 minutes on two shared cores, nearly all of it embedding and re-clustering).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from statistics import mean, median
from typing import Any

import numpy as np

import ticketminer  # noqa: F401  (first: it pins numpy's SIMD level, see numerics.py)
from bench.common import log, write_result
from ticketminer.domain.anomalies import VOLUME
from ticketminer.synth import Incident, Scenario, counts_frame, preset
from ticketminer.synth.detection import scan_frame
from ticketminer.synth.frame import SynthFrame

NAME = "anomaly_discovered"
TENANT = "default"
WEEKS = 8
TICKETS_PER_DAY = 100.0  # the rest of the helpdesk, over its 12 everyday topics
FIRST_SLOT_DAY = 29
SLOT_EVERY_DAYS = 7
SURGE_DAYS = 3
TRAILING_DAYS = 28  # the k-sigma rule's window, and the service's baseline
EARLY_HOURS = 12  # an alarm may start this long before the incident
LATE_HOURS = 24  # ... or this long after it ended, and still count
DAYS_PER_MONTH = 30.4
KS = (2.0, 3.0)
METHODS = ("discovered", "true_labels", "ksigma2", "ksigma3")
# The target region: surges of at least x3 on at least 5 tickets a day per topic.
TARGET_BASELINE = 5.0
TARGET_MULTIPLIER = 3.0
TARGET_RECALL = 0.95
TARGET_RC_TOP1 = 0.9
TARGET_FALSE_PER_10 = 1.0

# Groups of topics that share attributes; an incident takes the first n of its group.
GROUPS: dict[str, tuple[str, ...]] = {
    "ship": ("shipping_delay", "damaged_item", "wrong_item", "return_label"),
    "money": ("refund_request", "invoice", "payment_failure", "coupon_not_applied"),
    "app": ("app_crash", "account_locked"),
    "other": ("warranty_repair", "address_change"),
}
Dims = tuple[tuple[str, str], ...]
# Root causes by group and number of attributes: every topic of the group carries
# them, and no two groups share a value, so incidents of one history stay apart.
DIMS: dict[str, dict[int, Dims]] = {
    "ship": {
        1: (("carrier", "ZTO"),),
        2: (("carrier", "EMS"), ("region", "华北")),
        3: (("carrier", "JD"), ("product", "phone-x10"), ("region", "华北")),
    },
    "money": {
        1: (("payment_method", "unionpay"),),
        2: (("payment_method", "wechat_pay"), ("region", "西南")),
        3: (("payment_method", "credit_card"), ("product", "laptop-book14"), ("region", "西南")),
    },
    "app": {
        1: (("app_version", "5.0.3"),),
        2: (("app_version", "5.1.0"), ("region", "华中")),
        3: (("app_version", "5.1.2"), ("region", "华中"), ("segment", "business")),
    },
    "other": {
        1: (("warehouse", "WH-CD"),),
        2: (("region", "华东"), ("warehouse", "WH-WH")),
        3: (("region", "华东"), ("segment", "vip"), ("warehouse", "WH-GZ")),
    },
}


@dataclass(frozen=True, slots=True)
class Spec:
    """One incident of a history: its group, the per-topic baseline of its topics,
    how many topics it spreads over, how many attributes its root cause has, the surge."""

    group: str
    baseline: float
    topics: int
    attributes: int
    multiplier: float


def parse(text: str) -> tuple[Spec, ...]:
    """Incidents written "group baseline/topics/attributes/xmultiplier, ...", in time order."""
    out = []
    for part in text.split(","):
        group, rest = part.split()
        baseline, topics, attributes, multiplier = rest.split("/")
        out.append(
            Spec(group, float(baseline), int(topics), int(attributes), float(multiplier[1:]))
        )
    return tuple(out)


# (seed, four incidents in time order). Heavy baselines (100, 300 a day) sit on one
# topic, and 300 a day only surges x3 (twice), to keep the run near 20 minutes.
HISTORIES: tuple[tuple[int, tuple[Spec, ...]], ...] = tuple(
    (seed, parse(text))
    for seed, text in (
        (1, "ship 300/1/2/x3, money 5/4/1/x3, app 20/2/3/x10, other 3/2/2/x1.5"),
        (2, "money 100/1/1/x1.5, app 5/1/2/x10, other 20/2/1/x3, ship 3/4/3/x3"),
        (3, "app 300/1/3/x3, other 5/2/3/x3, ship 20/3/2/x1.5, money 3/2/2/x10"),
        (4, "other 100/1/2/x3, ship 5/3/1/x10, money 20/4/3/x3, app 3/1/1/x3"),
        (5, "ship 100/1/1/x10, money 5/2/3/x1.5, app 20/1/1/x3, other 3/1/3/x10"),
        (6, "money 20/1/2/x1.5, app 5/2/2/x3, other 20/1/2/x10, ship 5/4/2/x3"),
        (7, "app 100/1/3/x3, other 5/1/1/x10, ship 20/4/2/x3, money 3/3/1/x3"),
        (8, "ship 5/2/3/x3, money 20/3/2/x10, app 5/2/1/x3, other 20/1/3/x10"),
        (9, "money 5/3/2/x10, ship 20/1/3/x3, other 5/2/2/x3, app 20/2/2/x1.5"),
    )
)
# Quiet histories: (seed, index into HISTORIES whose topic volumes they copy).
QUIET: tuple[tuple[int, int], ...] = ((101, 3), (102, 5), (103, 8))


# --- scenarios -------------------------------------------------------------------


def slot_start(s: Scenario, slot: int, seed: int) -> datetime:
    """The incident's start: its slot's day, at a local hour varied by seed and slot."""
    return s.at(FIRST_SLOT_DAY + SLOT_EVERY_DAYS * slot, 6 + (5 * seed + 7 * slot) % 14)


def scenario(seed: int, specs: Sequence[Spec], incidents: bool = True) -> Scenario:
    """The history: the "none" preset (an app release two weeks before the end, so a
    version mix shift happens in every history) with the incidents' topics at their
    baselines and, if `incidents`, the incidents themselves."""
    base = preset("none", tickets_per_day=TICKETS_PER_DAY, weeks=WEEKS, seed=seed)
    volume = {t: float(sp.baseline) for sp in specs for t in GROUPS[sp.group][: sp.topics]}
    base = replace(base, topic_volume=volume)
    if not incidents:
        return base
    out = []
    for slot, sp in enumerate(specs):
        start = slot_start(base, slot, seed)
        for topic in GROUPS[sp.group][: sp.topics]:
            out.append(
                Incident(
                    id=f"s{slot}-{topic}",
                    kind="volume_surge",
                    topic=topic,
                    start=start,
                    end=start + timedelta(days=SURGE_DAYS),
                    multiplier=sp.multiplier,
                    dims=DIMS[sp.group][sp.attributes],
                )
            )
    return replace(base, incidents=tuple(out))


@dataclass(frozen=True, slots=True)
class Truth:
    """One incident as scored: its window, topics, root cause and injected tickets
    (the generator writes one Incident per topic; they share start, end and dims)."""

    slot: int
    spec: Spec
    start: datetime
    end: datetime
    topics: frozenset[str]
    dims: Dims
    external_ids: frozenset[str]


def truths(specs: Sequence[Spec], generated: Iterable[Incident]) -> list[Truth]:
    by_slot: dict[int, list[Incident]] = {}
    for inc in generated:
        by_slot.setdefault(int(inc.id.split("-", 1)[0][1:]), []).append(inc)
    out = []
    for slot, sp in enumerate(specs):
        parts = by_slot[slot]
        out.append(
            Truth(
                slot=slot,
                spec=sp,
                start=parts[0].start,
                end=parts[0].end,
                topics=frozenset(p.topic for p in parts),
                dims=parts[0].dims,
                external_ids=frozenset(e for p in parts for e in p.external_ids),
            )
        )
    return out


# --- alarms and scoring ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alarm:
    """An alarm of any method: its window (end None: still open), metric, the topics
    it is about (None: tenant-wide or unknown), first root cause, size and evidence."""

    start: datetime
    end: datetime | None
    metric: str = VOLUME
    topic: str | None = None
    root: Dims | None = None
    tickets: int = 0
    evidence: tuple[str, ...] = ()
    issues: int = 0


def overlaps(alarm_start: datetime, alarm_end: datetime | None, truth: Truth) -> bool:
    """Whether an alarm window meets the incident's, with the early and late slack."""
    if alarm_start > truth.end + timedelta(hours=LATE_HOURS):
        return False
    return alarm_end is None or alarm_end >= truth.start - timedelta(hours=EARLY_HOURS)


def is_hit(alarm: Alarm, truth: Truth, match_topic: bool) -> bool:
    """A volume alarm over the incident's window (and, with true labels, about one of
    its topics or the whole tenant)."""
    if alarm.metric != VOLUME or not overlaps(alarm.start, alarm.end, truth):
        return False
    return not match_topic or alarm.topic is None or alarm.topic in truth.topics


def root_match(root: Dims | None, dims: Dims) -> str:
    """Root-cause match: "exact" when the first root cause is the incident's
    attributes, "within" when one is a proper subset of the other, else "wrong" (no
    root cause is wrong too)."""
    if not root:
        return "wrong"
    got, want = set(root), set(dims)
    if got == want:
        return "exact"
    return "within" if got < want or got > want else "wrong"


def without_issue(dims: Iterable[tuple[str, str]]) -> Dims:
    """The "issue" dimension is where the service looked, not a cause the generator set."""
    return tuple(sorted((k, v) for k, v in dims if k != "issue"))


def score(truth: list[Truth], alarms: list[Alarm], match_topic: bool) -> dict[str, Any]:
    """Per incident: caught, how many volume alarms (and alarms of any metric) hit it,
    the main alarm's root-cause match, delay and injected share of its evidence; plus
    the false alarms. Discovered issues are matched by time only (`match_topic`
    False): every alarm overlapping no incident is false. With true labels an alarm
    that hits no incident is false."""
    incidents = []
    used: set[int] = set()
    for t in truth:
        hits = [i for i, a in enumerate(alarms) if is_hit(a, t, match_topic)]
        near = [i for i, a in enumerate(alarms) if overlaps(a.start, a.end, t)]
        row: dict[str, Any] = {"caught": bool(hits), "hits": len(hits), "any_metric": len(near)}
        if hits:
            main = max(hits, key=lambda i: (alarms[i].tickets, -alarms[i].start.timestamp()))
            a = alarms[main]
            first = min(alarms[i].start for i in hits)
            row["rc"] = root_match(a.root, t.dims) if a.root is not None else None
            row["root"] = list(map(list, a.root)) if a.root else []
            row["delay_h"] = round((first - t.start).total_seconds() / 3600, 1)
            row["issues"] = a.issues
            if a.evidence:
                injected = sum(e in t.external_ids for e in a.evidence)
                row["evidence_injected"] = round(injected / len(a.evidence), 3)
        incidents.append(row)
        used.update(hits)
        if not match_topic:
            used.update(near)
    false = [a for i, a in enumerate(alarms) if i not in used]
    return {
        "incidents": incidents,
        "false_alarms": len(false),
        "false_metrics": sorted(a.metric for a in false),
    }


def daily_counts(frame: SynthFrame) -> np.ndarray:
    """(topics, days) tickets per topic and local day."""
    days = frame.scenario.days
    out = np.zeros((len(frame.topics), days), dtype=np.int64)
    np.add.at(out, (frame.topic.astype(np.int64), frame.day.astype(np.int64)), 1)
    return out


def ksigma_days(daily: np.ndarray, k: float, trailing: int = TRAILING_DAYS) -> list[int]:
    """Days whose count is above the mean + k std (sample std) of the `trailing` days
    before; only days with a full trailing window can alarm."""
    out = []
    for d in range(trailing, len(daily)):
        window = daily[d - trailing : d].astype(np.float64)
        if daily[d] > window.mean() + k * window.std(ddof=1):
            out.append(d)
    return out


def episodes(days: Sequence[int]) -> list[tuple[int, int]]:
    """Runs of consecutive alarm days as [first, last + 1): one alarm each."""
    out: list[tuple[int, int]] = []
    for d in days:
        if out and out[-1][1] == d:
            out[-1] = (out[-1][0], d + 1)
        else:
            out.append((d, d + 1))
    return out


def ksigma_alarms(frame: SynthFrame, k: float) -> list[Alarm]:
    s = frame.scenario
    daily = daily_counts(frame)
    out = []
    for i, topic in enumerate(frame.topics):
        if daily[i].sum() == 0:
            continue
        for lo, hi in episodes(ksigma_days(daily[i], k)):
            out.append(Alarm(s.at(lo), s.at(hi), topic=topic, root=None))
    return out


def live_topics(frame: SynthFrame) -> int:
    return int((daily_counts(frame).sum(axis=1) > 0).sum())


def ceiling_alarms(frame: SynthFrame) -> list[Alarm]:
    """The service's scan and explainer on the true topics as issues."""
    findings, explanations = scan_frame(frame)
    out = []
    for f, e in zip(findings, explanations, strict=True):
        d = f.detection
        topic = None if d.issue_id is None else frame.topics[d.issue_id - 1]
        root = without_issue(e.root_causes[0].dims) if e.root_causes else ()
        out.append(Alarm(d.start, d.end, d.metric, topic, root, d.tickets))
    return out


def discovered_alarms(s: Scenario, folder: Path) -> tuple[list[Alarm], int, dict[str, float]]:
    """Ingest, re-cluster and scan in process as the service does; (alarms, active
    discovered issues, seconds per step)."""
    from ticketminer.app import App
    from ticketminer.config import Settings
    from ticketminer.domain.anomalies import AnomalyQuery
    from ticketminer.synth import generate

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    result = generate(s)
    seconds["generate"] = time.perf_counter() - t0
    settings = Settings(
        db_url=str(folder / f"history-{s.seed}.db"),
        recluster_min_tickets=10**9,
        anomaly_time_zone=s.tz,
    )
    app = App.open(settings)
    try:
        t0 = time.perf_counter()
        rejected = app.tickets.ingest_bulk(iter(result.tickets)).rejected
        if rejected:
            raise RuntimeError(f"{rejected} tickets rejected")
        seconds["ingest"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        app.issues.recluster(TENANT)
        seconds["recluster"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        app.anomalies.scan(TENANT)
        seconds["scan"] = time.perf_counter() - t0
        found = app.anomalies.list(AnomalyQuery(TENANT, page_size=500)).anomalies
        issues = app.issues.list_issues(TENANT, None, None).total_issues
    finally:
        app.close()
    alarms = [
        Alarm(
            a.start,
            a.end,
            a.metric,
            None,
            without_issue(a.root_causes[0].dims) if a.root_causes else (),
            a.tickets,
            tuple(a.evidence_ticket_ids),
            len(a.issue_ids) if a.issue_ids else 1,
        )
        for a in found
    ]
    return alarms, issues, {k: round(v, 1) for k, v in seconds.items()}


# --- a run -----------------------------------------------------------------------


def evaluate(
    seed: int, specs: Sequence[Spec], incidents: bool, folder: Path | None
) -> dict[str, Any]:
    """Every method on one history. `folder` None skips the service pipeline."""
    s = scenario(seed, specs, incidents)
    frame = counts_frame(s)
    truth = truths(specs, frame.truth()) if incidents else []
    months = s.days / DAYS_PER_MONTH
    after_warmup = (s.days - TRAILING_DAYS) / DAYS_PER_MONTH
    topics = live_topics(frame)
    out: dict[str, Any] = {
        "seed": seed,
        "quiet": not incidents,
        "tickets": len(frame),
        "topics": topics,
        "specs": [asdict(sp) for sp in specs] if incidents else [],
        "dims": [list(map(list, t.dims)) for t in truth],
        "methods": {},
    }
    t0 = time.perf_counter()
    out["methods"]["true_labels"] = {
        **score(truth, ceiling_alarms(frame), match_topic=True),
        "issue_months": topics * months,
    }
    out["scan_frame_s"] = round(time.perf_counter() - t0, 1)
    for k in KS:
        out["methods"][f"ksigma{k:g}"] = {
            **score(truth, ksigma_alarms(frame, k), match_topic=True),
            "issue_months": topics * after_warmup,
        }
    if folder is not None:
        alarms, issues, seconds = discovered_alarms(s, folder)
        out["issues"] = issues
        out["seconds"] = seconds
        out["methods"]["discovered"] = {
            **score(truth, alarms, match_topic=False),
            "issue_months": issues * months,
        }
    return out


def run(
    histories: Sequence[tuple[int, tuple[Spec, ...]]] = HISTORIES,
    quiet: Sequence[tuple[int, int]] = QUIET,
    service: bool = True,
) -> dict[str, Any]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-discovered-") as tmp:
        folder = Path(tmp) if service else None
        plan = [(seed, specs, True) for seed, specs in histories]
        plan += [(seed, HISTORIES[i][1], False) for seed, i in quiet]
        for n, (seed, specs, incidents) in enumerate(plan, 1):
            started = time.perf_counter()
            row = evaluate(seed, specs, incidents, folder)
            row["wall_s"] = round(time.perf_counter() - started, 1)
            rows.append(row)
            log(
                f"history {n}/{len(plan)} seed {seed} ({'incidents' if incidents else 'quiet'}, "
                f"{row['tickets']:,} tickets): {row['wall_s']:.0f} s"
            )
    return summarise(rows)


def incident_rows(histories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per incident with every method's outcome beside its spec."""
    out = []
    for h in histories:
        for slot, (spec, dims) in enumerate(zip(h["specs"], h["dims"], strict=True)):
            row = {"seed": h["seed"], "slot": slot, **spec, "dims": dims}
            for method, m in h["methods"].items():
                row[method] = m["incidents"][slot]
            out.append(row)
    return out


def in_target(row: dict[str, Any]) -> bool:
    return row["baseline"] >= TARGET_BASELINE and row["multiplier"] >= TARGET_MULTIPLIER


def _recall(rows: list[dict[str, Any]], method: str) -> float | None:
    got = [r[method]["caught"] for r in rows if method in r]
    return sum(got) / len(got) if got else None


def _share(caught: list[dict[str, Any]], match: str) -> float | None:
    return sum(c.get("rc") == match for c in caught) / len(caught) if caught else None


def method_summary(
    rows: list[dict[str, Any]], histories: list[dict[str, Any]], method: str
) -> dict[str, Any]:
    """Recall, root causes, alarms per caught incident and false alarms of a method."""
    target = [r for r in rows if in_target(r) and method in r]
    caught = [r[method] for r in target if r[method]["caught"]]
    caught_all = [r[method] for r in rows if method in r and r[method]["caught"]]
    out: dict[str, Any] = {
        "target_incidents": len(target),
        "recall_target": _recall(target, method),
        "recall_all": _recall(rows, method),
    }
    if any(c.get("rc") is not None for c in caught_all):  # methods that name a cause
        out["rc_top1_target"] = _share(caught, "exact")
        out["rc_within_target"] = _share(caught, "within")
        out["rc_top1_all"] = _share(caught_all, "exact")
    if caught:
        out["alarms_per_caught_mean"] = mean(c["hits"] for c in caught)
        out["alarms_per_caught_max"] = max(c["hits"] for c in caught)
        out["exactly_one_share"] = sum(c["hits"] == 1 for c in caught) / len(caught)
        out["any_metric_per_caught_mean"] = mean(c["any_metric"] for c in caught)
        out["median_delay_h"] = median(c["delay_h"] for c in caught)
        shares = [c["evidence_injected"] for c in caught if "evidence_injected" in c]
        if shares:
            out["evidence_injected_median"] = median(shares)
    ms = [h["methods"][method] for h in histories if method in h["methods"]]
    quiet = [h["methods"][method] for h in histories if h["quiet"] and method in h["methods"]]
    for label, part in (("all", ms), ("quiet", quiet)):
        alarms = sum(m["false_alarms"] for m in part)
        months = sum(m["issue_months"] for m in part)
        out[f"false_alarms_{label}"] = alarms
        out[f"issue_months_{label}"] = round(months, 1)
        out[f"false_per_10_{label}"] = 10 * alarms / months if months else None
    metrics: dict[str, int] = {}
    for m in ms:
        for name in m["false_metrics"]:
            metrics[name] = metrics.get(name, 0) + 1
    out["false_by_metric"] = metrics
    return out


def summarise(histories: list[dict[str, Any]]) -> dict[str, Any]:
    rows = incident_rows(histories)
    methods = [m for m in METHODS if any(m in h["methods"] for h in histories)]
    summary = {m: method_summary(rows, histories, m) for m in methods}
    cells: dict[str, dict[str, Any]] = {}
    for b in sorted({r["baseline"] for r in rows}):
        for x in sorted({r["multiplier"] for r in rows}):
            part = [r for r in rows if r["baseline"] == b and r["multiplier"] == x]
            if part:
                cells[f"{b:g}/x{x:g}"] = {
                    "baseline": b,
                    "multiplier": x,
                    "incidents": len(part),
                    **{m: _recall(part, m) for m in methods},
                }
    spread = {}
    for key in ("topics", "attributes"):
        for v in sorted({r[key] for r in rows}):
            part = [r for r in rows if r[key] == v and in_target(r)]
            if part:
                spread[f"{key}={v}"] = {
                    "incidents": len(part),
                    **{m: _recall(part, m) for m in methods},
                }
    d = summary.get("discovered")
    targets = None
    if d is not None:
        targets = {
            "recall": d["recall_target"] is not None and d["recall_target"] >= TARGET_RECALL,
            "rc_top1": d.get("rc_top1_target", 0) >= TARGET_RC_TOP1,
            "false_alarms": d["false_per_10_all"] is not None
            and d["false_per_10_all"] <= TARGET_FALSE_PER_10,
        }
    timing = [h["seconds"] for h in histories if "seconds" in h]
    return {
        "methods": methods,
        "summary": summary,
        "cells": cells,
        "spread": spread,
        "pass": targets,
        "targets": {
            "recall": TARGET_RECALL,
            "rc_top1": TARGET_RC_TOP1,
            "false_per_10_issue_months": TARGET_FALSE_PER_10,
            "baseline_at_least": TARGET_BASELINE,
            "multiplier_at_least": TARGET_MULTIPLIER,
        },
        "n_incidents": len(rows),
        "n_histories": len(histories),
        "n_quiet": sum(h["quiet"] for h in histories),
        "tickets": sum(h["tickets"] for h in histories),
        "discovered_issues": [h["issues"] for h in histories if "issues" in h],
        "pipeline_seconds": {
            k: round(sum(t.get(k, 0) for t in timing), 1)
            for k in ("generate", "ingest", "recluster", "scan")
        },
        "incidents": rows,
        "histories": [{k: v for k, v in h.items() if k != "methods"} for h in histories],
        "per_history": [
            {
                "seed": h["seed"],
                "quiet": h["quiet"],
                **{m: h["methods"][m]["false_alarms"] for m in methods if m in h["methods"]},
            }
            for h in histories
        ],
    }


# --- report ----------------------------------------------------------------------

LABELS = {
    "discovered": "service, discovered issues",
    "true_labels": "service, true topics (ceiling)",
    "ksigma2": "mean + 2σ, true topics",
    "ksigma3": "mean + 3σ, true topics",
}


def _p(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _by_metric(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


def markdown(result: dict[str, Any]) -> str:
    methods = result["methods"]
    header = "| baseline/day per topic | surge | incidents | " + " | ".join(
        LABELS[m] for m in methods
    )
    lines = [header + " |", "|" + "---|" * (3 + len(methods))]
    for c in result["cells"].values():
        lines.append(
            f"| {c['baseline']:g} | x{c['multiplier']:g} | {c['incidents']} | "
            + " | ".join(_p(c[m]) for m in methods)
            + " |"
        )
    t = result["targets"]
    lines += [
        "",
        f"Recall in the target region (≥ x{t['multiplier_at_least']:g} on ≥ "
        f"{t['baseline_at_least']:g}/day) by how far the incident spreads:",
        "",
        "| incidents of | in target | " + " | ".join(LABELS[m] for m in methods) + " |",
        "|" + "---|" * (2 + len(methods)),
    ]
    for key, c in result["spread"].items():
        name, v = key.split("=")
        what = f"{v} topic{'s' if v != '1' else ''}" if name == "topics" else f"{v} attribute"
        what += "s" if name == "attributes" and v != "1" else ""
        lines.append(
            f"| {what} | {c['incidents']} | " + " | ".join(_p(c[m]) for m in methods) + " |"
        )
    s = result["summary"]
    rows = [
        ("recall, target region", lambda m: _p(s[m]["recall_target"])),
        ("recall, every incident", lambda m: _p(s[m]["recall_all"])),
        ("root cause top-1 exact (target region)", lambda m: _p(s[m].get("rc_top1_target"))),
        ("root cause subset/superset (target region)", lambda m: _p(s[m].get("rc_within_target"))),
        ("root cause top-1 exact (every caught)", lambda m: _p(s[m].get("rc_top1_all"))),
        ("volume alarms per caught incident, mean (max)",
         lambda m: f"{_p(s[m].get('alarms_per_caught_mean'))} "
         f"({s[m].get('alarms_per_caught_max', '–')})"),
        ("caught with exactly one volume alarm", lambda m: _p(s[m].get("exactly_one_share"))),
        ("alarms of any metric per caught incident, mean",
         lambda m: _p(s[m].get("any_metric_per_caught_mean"))),
        ("median delay (h), first alarm − start", lambda m: _p(s[m].get("median_delay_h"), 0)),
        ("injected share of the evidence tickets (median)",
         lambda m: _p(s[m].get("evidence_injected_median"))),
        ("false alarms (all histories) / issue-months",
         lambda m: f"{s[m]['false_alarms_all']} / {s[m]['issue_months_all']:g}"),
        ("false alarms per 10 issue-months, all histories", lambda m: _p(s[m]["false_per_10_all"])),
        ("false alarms per 10 issue-months, quiet histories",
         lambda m: _p(s[m]["false_per_10_quiet"])),
        ("false alarms by metric", lambda m: _by_metric(s[m]["false_by_metric"])),
    ]  # fmt: skip
    lines += [
        "",
        "| in the target region unless said | " + " | ".join(LABELS[m] for m in methods) + " |",
        "|" + "---|" * (1 + len(methods)),
    ]
    lines += [f"| {label} | " + " | ".join(f(m) for m in methods) + " |" for label, f in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two incident histories, one quiet")
    parser.add_argument(
        "--no-service", action="store_true", help="only the true-label methods (seconds)"
    )
    args = parser.parse_args()
    histories, quiet = (HISTORIES[:2], QUIET[:1]) if args.quick else (HISTORIES, QUIET)
    started = time.perf_counter()
    result = run(histories, quiet, service=not args.no_service)
    result["markdown"] = markdown(result)
    print(result["markdown"])
    write_result(NAME, result, started)


if __name__ == "__main__":
    main()
