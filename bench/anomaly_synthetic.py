"""Detection quality on synthetic ticket histories with injected surges.

Each scenario is 8 weeks of a whole helpdesk (13 topics) in which one topic runs at a
chosen baseline (1 to 1,000 tickets a day) and surges by a chosen factor for 3 days at
carrier=SF ∧ region=华南. The service's own scan (every detector, the folding, the
root-cause explainer) runs on the generator's columnar frame with the true topic as
the issue, so this measures detection and localisation, not clustering. Null
scenarios (no incident) count false alarms.

Run: `python -m bench.anomaly_synthetic` (writes artifacts/bench/anomaly_synthetic.json).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from datetime import timedelta
from statistics import median

from bench.common import ARTIFACTS
from ticketminer.domain.anomalies import VOLUME
from ticketminer.synth import Incident, Scenario, counts_frame
from ticketminer.synth.detection import scan_frame

TOPIC = "shipping_delay"
DIMS = (("carrier", "SF"), ("region", "华南"))
BASELINES = (1, 5, 20, 100, 1000)
MULTIPLIERS = (1.5, 3.0, 10.0)
SEEDS = (1, 2, 3, 4)
NULL_SEEDS = (11, 12, 13, 14, 15, 16)
OTHER_TOPICS_PER_DAY = 150.0
SURGE_DAYS = 3
LATE_HOURS = 24  # an alarm this long after the surge ended still counts as a hit


def scenario(baseline: float, multiplier: float | None, seed: int) -> Scenario:
    base = Scenario(
        name="bench",
        weeks=8,
        tickets_per_day=OTHER_TOPICS_PER_DAY,
        seed=seed,
        topic_volume={TOPIC: baseline},
    )
    if multiplier is None:
        return base
    start = base.at(base.days - 14, 6 + seed)  # two weeks before the end, varied hour
    incident = Incident(
        id="surge",
        kind="volume_surge",
        topic=TOPIC,
        start=start,
        end=start + timedelta(days=SURGE_DAYS),
        multiplier=multiplier,
        dims=DIMS,
    )
    return Scenario(
        name="bench",
        weeks=8,
        tickets_per_day=OTHER_TOPICS_PER_DAY,
        seed=seed,
        topic_volume={TOPIC: baseline},
        incidents=(incident,),
    )


def _volume(findings, explanations):
    return [
        (f.detection, e)
        for f, e in zip(findings, explanations, strict=True)
        if f.detection.metric == VOLUME
    ]


def evaluate(s: Scenario) -> dict:
    frame = counts_frame(s)
    started = time.perf_counter()
    findings, explanations = scan_frame(frame)
    seconds = time.perf_counter() - started
    topic_issue = frame.topics.index(TOPIC) + 1
    hits, false = [], 0
    incident = s.incidents[0] if s.incidents else None
    for d, e in _volume(findings, explanations):
        if incident is not None:
            late = incident.end + timedelta(hours=LATE_HOURS)
            overlaps = d.start < late and (d.end is None or d.end > incident.start)
            if overlaps and d.issue_id in (topic_issue, None):
                hits.append((d, e))
                continue
        false += 1
    out: dict = {"false_alarms": false, "seconds": seconds, "tickets": len(frame)}
    if incident is not None:
        hit = sorted(hits, key=lambda h: (h[0].issue_id is None, h[0].detected_at))
        out["detected"] = bool(hit)
        if hit:
            d, e = hit[0]
            out["delay_h"] = (d.detected_at - incident.start).total_seconds() / 3600
            ranked = [tuple(c.dims) for c in e.root_causes]
            ranked = [tuple(x for x in dims if x[0] != "issue") for dims in ranked]
            out["rc_top1"] = bool(ranked) and ranked[0] == DIMS
            out["rc_top3"] = DIMS in ranked[:3]
    # Issue-months in which an alarm was possible (after the 28-day baseline).
    months = (s.days - 28) / 30.4
    out["issue_months"] = len(frame.topics) * months
    return out


def run(seeds: tuple[int, ...] = SEEDS, null_seeds: tuple[int, ...] = NULL_SEEDS) -> dict:
    strata: dict[int, dict] = {}
    rows = []
    for b in BASELINES:
        acc: dict = defaultdict(list)
        for m in MULTIPLIERS:
            for seed in seeds:
                r = evaluate(scenario(b, m, seed))
                rows.append({"baseline": b, "multiplier": m, "seed": seed, **r})
                acc[m].append(r)
        nulls = [evaluate(scenario(b, None, seed)) for seed in null_seeds]
        strata[b] = _summary(acc, nulls)
    return {"strata": strata, "scenarios": rows, "n_scenarios": len(rows)}


def _summary(acc: dict, nulls: list[dict]) -> dict:
    out = {}
    for m, results in acc.items():
        detected = [r for r in results if r["detected"]]
        out[f"x{m:g}"] = {
            "scenarios": len(results),
            "recall": len(detected) / len(results),
            "median_delay_h": median(r["delay_h"] for r in detected) if detected else None,
            "rc_top1": sum(r["rc_top1"] for r in detected) / len(detected) if detected else 0,
            "rc_top3": sum(r["rc_top3"] for r in detected) / len(detected) if detected else 0,
        }
    everything = [r for results in acc.values() for r in results] + nulls
    alarms = sum(r["false_alarms"] for r in everything)
    months = sum(r["issue_months"] for r in everything)
    out["false_alarms"] = alarms
    out["false_alarms_per_10_issue_months"] = 10 * alarms / months
    out["null_scenarios"] = len(nulls)
    out["seconds_per_scan"] = median(r["seconds"] for r in everything)
    return out


def markdown(result: dict) -> str:
    lines = [
        "| baseline/day | surge | scenarios | recall | median delay (h) | RC top-1 | RC top-3 |",
        "|---|---|---|---|---|---|---|",
    ]
    for b, st in result["strata"].items():
        for m in MULTIPLIERS:
            r = st[f"x{m:g}"]
            delay = "—" if r["median_delay_h"] is None else f"{r['median_delay_h']:.0f}"
            lines.append(
                f"| {b} | x{m:g} | {r['scenarios']} | {r['recall']:.2f} | {delay} | "
                f"{r['rc_top1']:.2f} | {r['rc_top3']:.2f} |"
            )
    lines += ["", "| baseline/day | false alarms | per 10 issue-months | scan s (median) |"]
    lines.append("|---|---|---|---|")
    for b, st in result["strata"].items():
        lines.append(
            f"| {b} | {st['false_alarms']} | {st['false_alarms_per_10_issue_months']:.2f} | "
            f"{st['seconds_per_scan']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one seed per cell")
    args = parser.parse_args()
    seeds, nulls = ((1,), (11,)) if args.quick else (SEEDS, NULL_SEEDS)
    started = time.perf_counter()
    result = run(seeds, nulls)
    result["seconds"] = time.perf_counter() - started
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "anomaly_synthetic.json").write_text(json.dumps(result, indent=1, default=str))
    print(markdown(result))


if __name__ == "__main__":
    main()
