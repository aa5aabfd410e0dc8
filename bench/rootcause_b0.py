"""Root-cause localisation on the Squeeze B0 benchmark, plus a 100k-ticket timing check.

    python -m bench.rootcause_b0 [--data DIR] [--no-timing]

Data: ../shared/data/squeeze_b0_subset, 9 settings B_cuboid_layer_{L}_n_ele_{N} of 10
snapshots each (21,600 leaves = a(6) x b(36) x c(10) x d(10), columns real,predict,a,b,c,d)
with the injected root-cause sets in injection_info.csv. Scoring as in the Squeeze and
RiskLoc papers: an element counts only when predicted verbatim (attr=value parts sorted;
no credit for a parent or a child); TP/FP/FN summed over snapshots, micro-F1 =
2TP / (2TP + FP + FN). recall@k: true elements among the first k of `candidates_`, over
all true elements (so at most k / N with N elements per snapshot). A label listing the
same element twice counts it once. Seconds per snapshot time `fit` only (not CSV
parsing). Default parameters throughout; none was tuned per setting.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import ROOT, log, write_result
from ticketminer.anomalies.rootcause import RootCause, RootCauseLocalizer

NAME = "rootcause_b0"
DATA = ROOT.parent / "shared" / "data" / "squeeze_b0_subset"
RECALL_AT = (1, 3, 5)
TIMING_TICKETS = 100_000
TIMING_TARGET_S = 1.0
TIMING_NAMES = ["channel", "carrier", "region", "product", "tier", "city", "sku", "order_id"]
TIMING_CARDINALITIES = [3, 5, 8, 12, 20, 30, 50]


def normalise(element: str) -> str:
    return "&".join(sorted(part.strip() for part in element.split("&")))


def element_name(cause: RootCause) -> str:
    return "&".join(f"{k}={v}" for k, v in cause.dims)


def load_labels(setting: Path) -> dict[int, set[str]]:
    with (setting / "injection_info.csv").open(newline="") as fh:
        return {
            int(row["timestamp"]): {normalise(e) for e in row["set"].split(";") if e.strip()}
            for row in csv.DictReader(fh)
        }


def load_snapshot(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], list]:
    """(codes, real, predict, attribute names, categories per attribute)."""
    with gzip.open(path, "rt", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = np.array(list(reader), dtype=object)
    names = header[2:]
    categories, columns = [], []
    for j in range(len(names)):
        values, codes = np.unique(rows[:, 2 + j].astype(str), return_inverse=True)
        categories.append([str(v) for v in values])
        columns.append(codes.ravel())
    real = rows[:, 0].astype(float)
    predict = rows[:, 1].astype(float)
    return np.column_stack(columns), real, predict, names, categories


def score_snapshot(truth: set[str], model: RootCauseLocalizer) -> dict[str, int]:
    predicted = {element_name(c) for c in model.root_cause_set_}
    ranked = [element_name(c) for c in model.candidates_]
    out = {
        "tp": len(truth & predicted),
        "fp": len(predicted - truth),
        "fn": len(truth - predicted),
        "n_true": len(truth),
    }
    for k in RECALL_AT:
        out[f"hit@{k}"] = len(truth & set(ranked[:k]))
    return out


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    n_true = sum(r["n_true"] for r in rows)
    out: dict[str, Any] = {"snapshots": len(rows), "tp": tp, "fp": fp, "fn": fn}
    out["micro_f1"] = round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else 1.0
    for k in RECALL_AT:
        out[f"recall@{k}"] = round(sum(r[f"hit@{k}"] for r in rows) / max(n_true, 1), 4)
    out["mean_seconds"] = round(float(np.mean([r["seconds"] for r in rows])), 4)
    return out


def evaluate(data_dir: Path) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    every: list[dict[str, Any]] = []
    misses: list[dict[str, Any]] = []
    for setting in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        labels = load_labels(setting)
        rows = []
        for snap in sorted(setting.glob("*.csv.gz")):
            stamp = int(snap.name.split(".")[0])
            codes, real, predict, names, categories = load_snapshot(snap)
            started = time.perf_counter()
            model = RootCauseLocalizer().fit(
                codes, real, predict, feature_names=names, categories=categories
            )
            row = score_snapshot(labels[stamp], model)
            row["seconds"] = time.perf_counter() - started
            rows.append(row)
            if row["fp"] or row["fn"]:
                misses.append(
                    {
                        "setting": setting.name,
                        "timestamp": stamp,
                        "truth": sorted(labels[stamp]),
                        "predicted": [element_name(c) for c in model.root_cause_set_],
                    }
                )
        settings[setting.name] = summarise(rows)
        every.extend(rows)
        log(f"{setting.name}: {settings[setting.name]}")
    return {"settings": settings, "overall": summarise(every), "misses": misses}


def synthetic_tickets(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """One row per ticket over 8 attributes (3..50 values, plus a near-unique order id):
    a ticket falls in the anomaly window (observed 1) or in a 4x longer baseline (observed
    0, expected 1/4); carrier2 x region5 is 4x as likely to fall in the window."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [rng.integers(0, c, n) for c in TIMING_CARDINALITIES] + [rng.permutation(n)]
    )
    hot = (X[:, 1] == 2) & (X[:, 2] == 5)
    in_window = rng.random(n) < np.where(hot, 0.5, 0.2)
    observed = in_window.astype(float)
    expected = np.where(in_window, 0.0, 0.25)
    cards = [*TIMING_CARDINALITIES, n]
    categories = [[f"{a}{i}" for i in range(c)] for a, c in zip(TIMING_NAMES, cards, strict=True)]
    return X, observed, expected, categories


def timing_check(repeats: int = 3) -> dict[str, Any]:
    X, observed, expected, categories = synthetic_tickets(TIMING_TICKETS)
    seconds = []
    model = RootCauseLocalizer()
    for _ in range(repeats):
        started = time.perf_counter()
        model.fit(X, observed, expected, feature_names=TIMING_NAMES, categories=categories)
        seconds.append(time.perf_counter() - started)
    best = min(seconds)
    return {
        "tickets": TIMING_TICKETS,
        "attributes": len(TIMING_NAMES),
        "seconds": [round(s, 3) for s in seconds],
        "best_seconds": round(best, 3),
        "target_seconds": TIMING_TARGET_S,
        "pass": best <= TIMING_TARGET_S,
        "root_cause_set": [element_name(c) for c in model.root_cause_set_],
        "skipped_features": model.skipped_features_,
    }


def markdown(results: dict[str, Any]) -> str:
    head = "| setting | snapshots | TP | FP | FN | micro-F1 | R@1 | R@3 | R@5 | s/snapshot |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = [*results["settings"].items(), ("**overall**", results["overall"])]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['snapshots']} | {r['tp']} | {r['fp']} | {r['fn']} "
            f"| {r['micro_f1']:.3f} | {r['recall@1']:.3f} | {r['recall@3']:.3f} "
            f"| {r['recall@5']:.3f} | {r['mean_seconds']:.3f} |"
        )
    return "\n".join(lines)


def run(data_dir: Path | None = None, timing: bool = True) -> dict[str, Any]:
    """Evaluate (and time) the localiser; a missing data folder is reported as skipped."""
    started = time.perf_counter()
    data_dir = DATA if data_dir is None else data_dir
    data: dict[str, Any] = {"data": str(data_dir)}
    if data_dir.is_dir():
        data.update(evaluate(data_dir))
    else:
        data["skipped"] = f"data folder {data_dir} not found"
    if timing:
        data["timing_100k_tickets"] = timing_check()
    write_result(NAME, data, started)
    if "settings" in data:
        print(markdown(data))
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    run(args.data, timing=not args.no_timing)


if __name__ == "__main__":
    main()
