"""Issue-clustering quality on real labelled text, and fit/predict cost at 1M tickets.

    python -m bench.quality [--seeds 5] [--out artifacts/bench/quality.json]
    python -m bench.quality --perf [--perf-docs 1000000]   # run alone: it measures peak RSS

Quality: Banking77 test (3,080 English queries, 77 intents) and the negative reviews of
online_shopping_10_cats (31,046 Chinese texts, 10 categories). Each set is clustered
with automatic k and with the true k, over seeds 0..n-1; NMI / ARI / Hungarian accuracy
in %, mean +- std. Unclustered (-1) docs form their own group "-1" in the metrics, so
leaving hard docs out is not rewarded. A plain TF-IDF + LSA(100) + k-means(true k)
baseline runs on the same tokens. Labels are used for scoring only.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from bench.common import ARTIFACTS, write_result
from bench.real_text import DATA, banking77, online_shopping

NAME = "quality"
DEFAULT_OUT = ARTIFACTS / f"{NAME}.json"

Docs = list[list[str]]


# ---------------------------------------------------------------------------- tokens


def _stand_in_tokenizer() -> Callable[[str], list[str]]:
    """Used only while ticketminer.text is missing: rjieba for Han, regex words otherwise."""
    import rjieba
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    han = re.compile(r"([\u3400-\u9fff]+)")
    word = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

    def tokens(text: str) -> list[str]:
        out: list[str] = []
        for part in han.split(text.replace("\ufeff", "").lower()):
            if han.fullmatch(part):
                out.extend(t for t in rjieba.cut(part, hmm=False) if t.strip())
            elif part:
                out.extend(w for w in word.findall(part) if w not in ENGLISH_STOP_WORDS)
        return out

    return tokens


def tokenizer() -> tuple[str, Callable[[str], list[str]]]:
    try:
        from ticketminer.text import default_pipeline
    except ImportError:
        return "stand-in (rjieba + regex, sklearn stop words)", _stand_in_tokenizer()
    pipeline = default_pipeline()
    return "ticketminer.text.default_pipeline", pipeline.tokens


# ---------------------------------------------------------------------------- data


DATASETS: dict[str, tuple[Callable[[], tuple[list[str], list[str]]], int]] = {
    "banking77": (lambda: banking77("test"), 77),
    "online_shopping_neg": (online_shopping, 10),
}


# ---------------------------------------------------------------------------- metrics


def scores(truth: Sequence[str], pred: np.ndarray) -> dict[str, float]:
    """NMI, ARI and Hungarian accuracy in %; label -1 is one more group."""
    y = np.unique(np.asarray(truth), return_inverse=True)[1]
    p = np.unique(np.asarray(pred), return_inverse=True)[1]
    table = np.zeros((y.max() + 1, p.max() + 1), dtype=np.int64)
    np.add.at(table, (y, p), 1)
    rows, cols = linear_sum_assignment(-table)
    return {
        "nmi": 100 * normalized_mutual_info_score(y, p),
        "ari": 100 * adjusted_rand_score(y, p),
        "acc": 100 * table[rows, cols].sum() / len(y),
    }


def summarize(runs: list[dict[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[key] = {
            "mean": round(statistics.fmean(values), 2),
            "std": round(statistics.pstdev(values), 2),
            "runs": [round(v, 2) for v in values],
        }
    return out


# ---------------------------------------------------------------------------- methods


def run_ours(docs: Docs, truth: list[str], k: int | None, seed: int) -> dict[str, float]:
    from ticketminer.issues.clustering import IssueClusterer

    started = time.perf_counter()
    model = IssueClusterer(k, random_state=seed).fit(docs)
    seconds = time.perf_counter() - started
    labels = model.labels_
    return {
        **scores(truth, labels),
        "unclustered_pct": 100 * float(np.mean(labels < 0)),
        "k_found": float(model.n_issues_),
        "fit_s": seconds,
    }


def run_baseline(docs: Docs, truth: list[str], k: int, seed: int) -> dict[str, float]:
    """TF-IDF (sublinear) + TruncatedSVD(100) + normalise + k-means(true k)."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    started = time.perf_counter()
    x = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True).fit_transform(docs)
    z = normalize(TruncatedSVD(100, random_state=seed).fit_transform(x))
    labels = KMeans(k, n_init=1, random_state=seed).fit_predict(z)
    return {**scores(truth, labels), "fit_s": time.perf_counter() - started}


def quality(seeds: int, names: Sequence[str]) -> dict[str, Any]:
    tok_name, tokens = tokenizer()
    results: dict[str, Any] = {"tokenizer": tok_name, "seeds": seeds, "datasets": {}}
    for name in names:
        loader, true_k = DATASETS[name]
        texts, truth = loader()
        docs = [tokens(t) for t in texts]
        entry: dict[str, Any] = {"docs": len(docs), "true_k": true_k}
        for label, k in (("auto_k", None), ("true_k", true_k)):
            runs = [run_ours(docs, truth, k, s) for s in range(seeds)]
            entry[f"ours_{label}"] = summarize(runs)
            print(f"{name} ours {label}: {_line(entry[f'ours_{label}'])}", flush=True)
        runs = [run_baseline(docs, truth, true_k, s) for s in range(seeds)]
        entry["baseline_true_k"] = summarize(runs)
        print(f"{name} baseline true_k: {_line(entry['baseline_true_k'])}", flush=True)
        results["datasets"][name] = entry
    return results


def _line(summary: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v['mean']:.1f}±{v['std']:.1f}" for k, v in summary.items())


# ---------------------------------------------------------------------------- perf


def synthetic_docs(n_docs: int, n_topics: int = 200, seed: int = 0) -> Docs:
    """Deterministic short tickets: each topic has its own Zipf vocabulary (Chinese,
    English or both), mixed with Zipf background words shared by all topics."""
    rng = np.random.default_rng(seed)
    latin = [f"w{i}x" for i in range(20_000)]
    han = [chr(0x4E00 + i // 150) + chr(0x4E00 + 150 + i % 150) for i in range(20_000)]
    words = np.array(latin + han, dtype=object)
    per_topic = 40
    topic_words = np.empty((n_topics, per_topic), dtype=np.int64)
    for t in range(n_topics):
        kind = t % 3  # 0 Latin, 1 Chinese, 2 both
        pool = {0: np.arange(20_000), 1: np.arange(20_000, 40_000)}.get(kind, np.arange(40_000))
        topic_words[t] = rng.choice(pool, per_topic, replace=False)
    zipf_topic = 1.0 / np.arange(1, per_topic + 1)
    zipf_topic /= zipf_topic.sum()
    zipf_bg = 1.0 / np.arange(1, 40_001) ** 1.1
    zipf_bg /= zipf_bg.sum()
    bg_order = rng.permutation(40_000)

    lengths = rng.integers(10, 31, size=n_docs)
    topics = rng.integers(0, n_topics, size=n_docs)
    total = int(lengths.sum())
    owner = np.repeat(np.arange(n_docs), lengths)
    from_topic = rng.random(total) < 0.6
    ids = bg_order[rng.choice(40_000, size=total, p=zipf_bg)]
    ranks = rng.choice(per_topic, size=int(from_topic.sum()), p=zipf_topic)
    ids[from_topic] = topic_words[topics[owner[from_topic]], ranks]
    flat = words[ids]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [flat[bounds[i] : bounds[i + 1]].tolist() for i in range(n_docs)]


def _rss_mb() -> float:
    """Peak RSS of this process so far (ru_maxrss)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset VmHWM (Linux), so the fit's own peak is not hidden by data generation."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def perf(n_docs: int) -> dict[str, Any]:
    from ticketminer.issues.clustering import IssueClusterer

    started = time.perf_counter()
    docs = synthetic_docs(n_docs)
    gen_s = time.perf_counter() - started
    gc.collect()
    rss_before = _status_mb("VmRSS") or _rss_mb()
    exact = _reset_peak()
    started = time.perf_counter()
    model = IssueClusterer(random_state=0).fit(docs)
    fit_s = time.perf_counter() - started
    rss_peak = (_status_mb("VmHWM") if exact else None) or _rss_mb()
    print(
        f"fit {n_docs} docs: {fit_s:.1f} s, {model.n_issues_} issues, "
        f"unclustered {np.mean(model.labels_ < 0):.1%}, peak RSS during fit "
        f"{rss_peak:.0f} MB (the docs themselves {rss_before:.0f} MB)",
        flush=True,
    )

    latencies = []
    probe = docs[:2000]
    for doc in probe[:50]:  # warm-up
        model.predict([doc])
    for doc in probe:
        t0 = time.perf_counter_ns()
        model.predict([doc])
        latencies.append((time.perf_counter_ns() - t0) / 1e3)
    latencies.sort()
    median_us = latencies[len(latencies) // 2]
    p99_us = latencies[int(len(latencies) * 0.99)]
    print(f"predict one doc: median {median_us:.0f} us, p99 {p99_us:.0f} us", flush=True)
    return {
        "docs": n_docs,
        "generate_s": round(gen_s, 2),
        "fit_s": round(fit_s, 2),
        "n_issues": model.n_issues_,
        "unclustered_pct": round(100 * float(np.mean(model.labels_ < 0)), 2),
        "peak_rss_during_fit_mb": round(rss_peak),
        "rss_of_docs_before_fit_mb": round(rss_before),
        "peak_is_fit_only": exact,
        "predict_one_median_us": round(median_us, 1),
        "predict_one_p99_us": round(p99_us, 1),
    }


# ---------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    parser.add_argument("--perf", action="store_true", help="only the 1M fit/predict timing")
    parser.add_argument("--perf-docs", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    started = time.perf_counter()

    if args.perf:
        result: dict[str, Any] = {"perf": perf(args.perf_docs)}
        out = args.out or DEFAULT_OUT.with_name("quality_perf.json")
    else:
        missing = [n for n in args.datasets if n not in DATASETS]
        if missing:
            parser.error(f"unknown dataset(s): {missing}")
        if not DATA.exists():
            print(f"no data at {DATA}; nothing to measure", file=sys.stderr)
            return 1
        result = quality(args.seeds, args.datasets)
        if args.out is None:  # the run_all artifact, with date, command and machine
            print(f"wrote {write_result(NAME, result, started)}")
            return 0
        out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
