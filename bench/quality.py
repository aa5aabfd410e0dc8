"""Issue-discovery quality on real labelled text and synthetic bilingual histories,
against the peer (BERTopic) in the same run; and fit/predict cost at 1M tickets.

    python -m bench.quality [--seeds 3] [--out artifacts/bench/quality.json]
    python -m bench.quality --perf [--perf-docs 1000000]   # run alone: it measures peak RSS

Real text: Banking77 test (3,080 English queries, 77 intents) and the negative reviews
of online_shopping_10_cats (31,046 Chinese texts, 10 categories), over seeds 0..n-1:

- ticketminer as the service runs it (issue 17): tokens plus semantic vectors of the
  default embedder (USE multilingual v3), automatic k at the issue level and the
  sub-issue level of the same fit, and the true k;
- ticketminer lexical only (no vectors; the pipeline before issue 17), automatic and
  true k;
- a plain TF-IDF + LSA(100) + k-means(true k) baseline on the same tokens;
- BERTopic with its defaults (bench.peer_bertopic, in .venv-bench): Banking77 with the
  same seeds; online_shopping once (seed 0) on a fixed random sample of 3,000 reviews
  (its English MiniLM cannot read Chinese, and embeds Chinese at about 25 texts/s here),
  on all 31k of them only with --bertopic-full (20+ minutes more).

NMI / ARI / Hungarian accuracy in %, mean +- std. Unclustered (-1) docs, and BERTopic's
outliers, form their own group in the metrics, so leaving hard docs out is not
rewarded. Semantic vectors are cached (bench.vector_cache); "fit_s" never includes
embedding, whose throughput is measured and reported apart.

Synthetic: the "none", "default" and "forms" presets of ticketminer.synth, clustered
with automatic k with and without vectors (seed 0) and scored per topic
(bench.quality_synth). Labels are used for scoring only.
"""

from __future__ import annotations

# First, before numpy loads: importing ticketminer pins numpy's and OpenBLAS's SIMD level
# (ticketminer.numerics), as in the service. Without it, AVX-512 machines round sums
# differently and automatic k can differ from what the service finds on the same data.
import ticketminer  # noqa: F401

# isort: split
import argparse
import gc
import json
import random
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
PRESETS = ("none", "default", "forms")
EMBEDDER = "use"
# BERTopic on the Chinese reviews: a fixed random sample of this many (random.Random(0)).
BERTOPIC_SAMPLE = 3000

# Issue 17's targets; the automatic granularity is the issue level of the default fit.
TARGETS: dict[str, Any] = {
    "banking77_auto_nmi": 81.0,
    "banking77_auto_ari": 50.0,
    "banking77_auto_issues": [62, 92],  # within +-20 % of 77
    "banking77_auto_unclustered_pct": 10.0,
    "shopping_true_k_nmi": 55.0,
    "shopping_auto_nmi": 50.0,
    "synth_issues_per_topic": 1.5,
    "synth_min_topic_share": 0.90,
    "synth_min_bilingual_share": 0.90,
}

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


def _fit_ours(
    docs: Docs, k: int | None, seed: int, semantic: np.ndarray | None
) -> tuple[Any, float]:
    from ticketminer.issues.clustering import IssueClusterer

    started = time.perf_counter()
    model = IssueClusterer(k, random_state=seed).fit(docs, semantic=semantic)
    return model, time.perf_counter() - started


def _level(truth: list[str], labels: np.ndarray, found: int, seconds: float) -> dict[str, float]:
    return {
        **scores(truth, labels),
        "unclustered_pct": 100 * float(np.mean(labels < 0)),
        "k_found": float(found),
        "fit_s": seconds,
    }


def run_ours(
    docs: Docs, truth: list[str], k: int | None, seed: int, semantic: np.ndarray | None = None
) -> dict[str, float]:
    """One fit; the issue level."""
    model, seconds = _fit_ours(docs, k, seed, semantic)
    return _level(truth, model.labels_, model.n_issues_, seconds)


def run_ours_levels(
    docs: Docs, truth: list[str], seed: int, semantic: np.ndarray
) -> tuple[dict[str, float], dict[str, float]]:
    """One automatic-k fit with vectors: (issue level, sub-issue level)."""
    model, seconds = _fit_ours(docs, None, seed, semantic)
    return (
        _level(truth, model.labels_, model.n_issues_, seconds),
        _level(truth, model.sub_labels_, model.n_sub_issues_, seconds),
    )


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


def run_peer(texts: list[str], truth: list[str], seed: int) -> dict[str, float]:
    """BERTopic (defaults) in a fresh .venv-bench process; -1 outliers are one group.
    fit_s leaves out its embedding (it does include the process start and model load)."""
    from bench import peer_bertopic

    out = peer_bertopic.run_bertopic(texts, seed)
    labels = np.asarray(out["labels"])
    embed_s = float(out.get("embed_seconds", 0.0))
    return {
        **scores(truth, labels),
        "unclustered_pct": 100 * float(out["outliers"]),
        "k_found": float(out["n_topics"]),
        "fit_s": float(out["seconds"]) - embed_s,
        "embed_s": embed_s,
        "total_s": float(out["seconds"]),
        "embed_texts_per_s": len(texts) / embed_s if embed_s > 0 else 0.0,
    }


def _bertopic_runs(
    name: str,
    texts: list[str],
    truth: list[str],
    seeds: Sequence[int],
    sample: int | None,
) -> dict[str, Any]:
    """BERTopic over `seeds`, on all texts or a fixed random sample of `sample` of them."""
    sampled = sample is not None and sample < len(texts)
    if sampled:
        order = list(range(len(texts)))
        random.Random(0).shuffle(order)
        keep = sorted(order[:sample])
        texts, truth = [texts[i] for i in keep], [truth[i] for i in keep]
    runs = []
    for seed in seeds:
        try:
            runs.append(run_peer(texts, truth, seed))
        except RuntimeError as exc:
            print(f"{name} BERTopic seed {seed} failed: {exc}", file=sys.stderr, flush=True)
            return {"error": str(exc)[-2000:], "texts": len(texts), "seeds": list(seeds)}
    summary = {**summarize(runs), "texts": len(texts), "seeds": list(seeds), "sampled": sampled}
    print(f"{name} BERTopic on {len(texts)} texts: {_line(summary)}", flush=True)
    return summary


def _runs(label: str, runs: list[dict[str, float]]) -> dict[str, Any]:
    summary = summarize(runs)
    print(f"{label}: {_line(summary)}", flush=True)
    return summary


def real_text(
    seeds: int, names: Sequence[str], bertopic: bool, bertopic_full: bool
) -> dict[str, Any]:
    from bench import peer_bertopic
    from bench.vector_cache import cached_vectors
    from ticketminer.issues.embedders import make_embedder

    tok_name, tokens = tokenizer()
    embedder = make_embedder(EMBEDDER)
    peer = bertopic and peer_bertopic.available()
    results: dict[str, Any] = {
        "tokenizer": tok_name,
        "embedder": {"spec": EMBEDDER, "model_id": embedder.model_id, "dim": embedder.dim},
        "seeds": seeds,
        "bertopic": {
            "requested": bertopic,
            "available": peer,
            "sample": BERTOPIC_SAMPLE,
            "full_on_large_sets": bertopic_full,
        },
        "embedding": {},
        "datasets": {},
    }
    for name in names:
        loader, true_k = DATASETS[name]
        texts, truth = loader()
        docs = [tokens(t) for t in texts]
        vectors, info = cached_vectors(embedder, texts, name)
        results["embedding"][name] = info
        print(f"{name} embedding: {info}", flush=True)
        entry: dict[str, Any] = {"docs": len(docs), "true_k": true_k}
        seed_list = range(seeds)

        levels = [run_ours_levels(docs, truth, s, vectors) for s in seed_list]
        entry["semantic_auto_k"] = _runs(f"{name} semantic auto k", [i for i, _ in levels])
        entry["semantic_auto_k_sub"] = _runs(
            f"{name} semantic auto k, sub-issues", [sub for _, sub in levels]
        )
        entry["semantic_true_k"] = _runs(
            f"{name} semantic true k",
            [run_ours(docs, truth, true_k, s, vectors) for s in seed_list],
        )
        entry["lexical_auto_k"] = _runs(
            f"{name} lexical auto k", [run_ours(docs, truth, None, s) for s in seed_list]
        )
        entry["lexical_true_k"] = _runs(
            f"{name} lexical true k", [run_ours(docs, truth, true_k, s) for s in seed_list]
        )
        entry["baseline_true_k"] = _runs(
            f"{name} baseline true k", [run_baseline(docs, truth, true_k, s) for s in seed_list]
        )
        if peer:
            if name == "banking77":
                entry["bertopic"] = _bertopic_runs(name, texts, truth, seed_list, None)
            else:
                entry["bertopic"] = _bertopic_runs(name, texts, truth, [0], BERTOPIC_SAMPLE)
                if bertopic_full:
                    entry["bertopic_full"] = _bertopic_runs(name, texts, truth, [0], None)
        results["datasets"][name] = entry
        del vectors
        gc.collect()
    return results


def synthetic(presets: Sequence[str]) -> dict[str, Any]:
    from bench.quality_synth import measure_preset
    from ticketminer.issues.embedders import make_embedder

    embedder = make_embedder(EMBEDDER)
    return {name: measure_preset(name, embedder) for name in presets}


def verdicts(result: dict[str, Any]) -> dict[str, Any]:
    """Each issue-17 target: the measured value and whether it is met (None: not measured)."""
    t = TARGETS
    out: dict[str, Any] = {}

    def mean(dataset: str, key: str, metric: str) -> float | None:
        m = result.get("datasets", {}).get(dataset, {}).get(key, {}).get(metric)
        return None if m is None else m["mean"]

    def put(name: str, value: Any, ok: bool | None) -> None:
        out[name] = {"value": value, "met": ok}

    v = mean("banking77", "semantic_auto_k", "nmi")
    put("banking77_auto_nmi", v, None if v is None else v >= t["banking77_auto_nmi"])
    v = mean("banking77", "semantic_auto_k", "ari")
    put("banking77_auto_ari", v, None if v is None else v >= t["banking77_auto_ari"])
    v = mean("banking77", "semantic_auto_k", "k_found")
    lo, hi = t["banking77_auto_issues"]
    put("banking77_auto_issues", v, None if v is None else lo <= v <= hi)
    v = mean("banking77", "semantic_auto_k", "unclustered_pct")
    put(
        "banking77_auto_unclustered_pct",
        v,
        None if v is None else v <= t["banking77_auto_unclustered_pct"],
    )
    v = mean("online_shopping_neg", "semantic_true_k", "nmi")
    put("shopping_true_k_nmi", v, None if v is None else v >= t["shopping_true_k_nmi"])
    v = mean("online_shopping_neg", "semantic_auto_k", "nmi")
    put("shopping_auto_nmi", v, None if v is None else v >= t["shopping_auto_nmi"])
    synth = result.get("synth", {})
    for key, field, better in (
        ("synth_issues_per_topic", "issues_per_topic", "le"),
        ("synth_min_topic_share", "min_topic_share", "ge"),
        ("synth_min_bilingual_share", "min_bilingual_share", "ge"),
    ):
        values = {p: e["semantic"][field] for p, e in synth.items()}
        oks = [
            None if x is None else (x <= t[key] if better == "le" else x >= t[key])
            for x in values.values()
        ]
        put(key, values, None if not oks or None in oks else all(oks))
    peers = [e.get("bertopic") for e in result.get("datasets", {}).values() if "bertopic" in e]
    put(
        "bertopic_same_run",
        len([p for p in peers if "error" not in p]),
        bool(peers) and all("error" not in p for p in peers),
    )
    return out


def _metrics_only(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, dict) and "mean" in v}


def _line(summary: dict[str, Any]) -> str:
    return ", ".join(
        f"{k} {v['mean']:.1f}±{v['std']:.1f}" for k, v in _metrics_only(summary).items()
    )


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


def quality(
    seeds: int,
    names: Sequence[str],
    presets: Sequence[str],
    bertopic: bool = True,
    bertopic_full: bool = False,
) -> dict[str, Any]:
    started = time.perf_counter()
    result = real_text(seeds, names, bertopic, bertopic_full) if names else {"datasets": {}}
    result["real_text_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    result["synth"] = synthetic(presets)
    result["synth_s"] = round(time.perf_counter() - started, 1)
    result["targets"] = TARGETS
    result["verdicts"] = verdicts(result)
    for key, v in result["verdicts"].items():
        met = {True: "met", False: "MISSED", None: "not measured"}[v["met"]]
        print(f"target {key}: {v['value']} -> {met}", flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    parser.add_argument("--presets", nargs="*", default=list(PRESETS))
    parser.add_argument("--no-bertopic", action="store_true", help="skip the peer")
    parser.add_argument(
        "--bertopic-full",
        action="store_true",
        help="also run BERTopic on all 31k Chinese reviews (its MiniLM embeds them at about "
        "25 texts/s here: 20+ minutes)",
    )
    parser.add_argument("--perf", action="store_true", help="only the 1M fit/predict timing")
    parser.add_argument("--perf-docs", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    started = time.perf_counter()

    if args.perf:
        result: dict[str, Any] = {"perf": perf(args.perf_docs)}
        out = args.out or DEFAULT_OUT.with_name("quality_perf.json")
    else:
        from ticketminer.synth import PRESETS as SYNTH_PRESETS

        missing = [n for n in args.datasets if n not in DATASETS]
        missing += [p for p in args.presets if p not in SYNTH_PRESETS]
        if missing:
            parser.error(f"unknown dataset(s) or preset(s): {missing}")
        if args.datasets and not DATA.exists():
            print(f"no data at {DATA}; nothing to measure", file=sys.stderr)
            return 1
        result = quality(
            args.seeds,
            args.datasets,
            args.presets,
            bertopic=not args.no_bertopic,
            bertopic_full=args.bertopic_full,
        )
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
