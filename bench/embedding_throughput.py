"""Semantic embedding throughput beside the lexical pipeline's, on real text.

For each dataset (all Banking77 test queries, English; a seeded sample of
online_shopping_10_cats reviews, Chinese), in one process and round-robin (machine
noise hits every method alike), texts per second of:

- `embedding_text`: the opening text the embedding queue embeds (normalise, mask PII,
  cut to 600 characters);
- `pipeline`: the lexical pipeline every ticket goes through at ingest
  (`default_pipeline().tokens`), on the same raw texts;
- `use_threads_1` / `use_threads_2`: the default embedder
  (`make_embedder("use", threads=N)`) on the opening texts, in batches of 128 as the
  queue sends them.

Each figure is the median of `--rounds` rounds (wall and process CPU) after a warm-up.
The embedding texts are computed once, outside the embedder's timing.

    python -m bench.embedding_throughput [--reviews 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.common import log, median, write_result
from bench.real_text import available, banking77, online_shopping

NAME = "embedding_throughput"
QUEUE_BATCH = 128  # services.embedding_queue.BATCH: what the queue hands the embedder
ONE_MILLION = 1_000_000
THREADS = (1, 2)


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    cpu = time.process_time()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started, time.process_time() - cpu


def _rate(times: list[tuple[float, float]], n: int) -> dict[str, Any]:
    wall = median([w for w, _ in times])
    cpu = median([c for _, c in times])
    return {
        "texts_per_s": round(n / wall, 1),
        "ms_per_text": round(wall / n * 1000, 4),
        "cpu_texts_per_s": round(n / cpu, 1) if cpu > 0 else None,
        "cpu_ms_per_text": round(cpu / n * 1000, 4),
        "wall_seconds_per_round": [round(w, 3) for w, _ in times],
        "cpu_seconds_per_round": [round(c, 3) for _, c in times],
    }


def _batched(embed: Callable[[Sequence[str]], object], texts: Sequence[str]) -> None:
    for start in range(0, len(texts), QUEUE_BATCH):
        embed(texts[start : start + QUEUE_BATCH])


def _embed_with(
    embed: Callable[[Sequence[str]], object],
) -> Callable[[Sequence[str], Sequence[str]], None]:
    return lambda _raw, texts: _batched(embed, texts)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from ticketminer.issues.embedders import make_embedder
    from ticketminer.issues.embedding_text import embedding_text
    from ticketminer.text import default_pipeline

    reviews, _ = online_shopping(label=None)
    total_reviews = len(reviews)
    if 0 < args.reviews < total_reviews:
        reviews = random.Random(0).sample(reviews, args.reviews)
    datasets = {"banking77_test": banking77("test")[0], "online_shopping": reviews}
    opening = {d: [embedding_text(t, "") for t in texts] for d, texts in datasets.items()}
    log(f"data: {', '.join(f'{d} {len(t):,} texts' for d, t in datasets.items())}")

    pipeline = default_pipeline()
    embedders = {n: make_embedder("use", threads=n) for n in THREADS}
    started = time.perf_counter()
    for e in embedders.values():
        e.load()  # type: ignore[union-attr]
    load_seconds = time.perf_counter() - started

    # Each method over (raw texts, their opening texts).
    Method = Callable[[Sequence[str], Sequence[str]], object]
    methods: dict[str, Method] = {
        "embedding_text": lambda raw, _open: [embedding_text(t, "") for t in raw],
        "pipeline": lambda raw, _open: [pipeline.tokens(t) for t in raw],
        **{
            f"use_threads_{n}": _embed_with(e.embed)  # type: ignore[union-attr]
            for n, e in embedders.items()
        },
    }
    for d, raw in datasets.items():  # warm-up: lazy tables, caches, BLAS thread pools
        for fn in methods.values():
            fn(raw[:300], opening[d][:300])
    times: dict[str, dict[str, list[tuple[float, float]]]] = {
        d: {m: [] for m in methods} for d in datasets
    }
    for r in range(args.rounds):
        for d in datasets:
            for name, fn in methods.items():
                times[d][name].append(_timed(lambda: fn(datasets[d], opening[d])))  # noqa: B023
        log(f"round {r + 1}/{args.rounds}: " + "; ".join(
            f"{d} " + ", ".join(
                f"{m} {len(datasets[d]) / times[d][m][-1][0]:,.0f}/s" for m in methods
            )
            for d in datasets
        ))  # fmt: skip

    rates = {d: {m: _rate(times[d][m], len(datasets[d])) for m in methods} for d in datasets}
    out_datasets = {}
    for d, texts in datasets.items():
        r = rates[d]
        pipe = r["pipeline"]["texts_per_s"]
        out_datasets[d] = {
            "texts": len(texts),
            "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
            "mean_embedding_text_chars": round(sum(map(len, opening[d])) / len(texts), 1),
            "rates": r,
            "pipeline_over_use_threads_1": round(pipe / r["use_threads_1"]["texts_per_s"], 2),
            "use_threads_2_over_1": round(
                r["use_threads_2"]["texts_per_s"] / r["use_threads_1"]["texts_per_s"], 2
            ),
            "hours_for_1m_use_threads_1": round(
                ONE_MILLION / r["use_threads_1"]["texts_per_s"] / 3600, 2
            ),
        }
    return {
        "config": {
            "rounds": args.rounds,
            "statistic": "median of rounds (wall and process CPU), after a 300-text warm-up",
            "online_shopping_sample": (
                f"random.Random(0).sample of {args.reviews} of {total_reviews} reviews"
                if len(reviews) < total_reviews
                else f"all {total_reviews} reviews"
            ),
            "embedder": "make_embedder('use', threads=N): USE multilingual v3, 512-d",
            "embedder_input": "embedding_text(text, '') (the queue's opening text), "
            f"in batches of {QUEUE_BATCH}",
            "pipeline_input": "the raw text, default_pipeline().tokens",
            "model_load_seconds": round(load_seconds, 2),
        },
        "datasets": out_datasets,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=3000, help="sample size; 0 = all")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not available():
        raise SystemExit("real data not found under ../shared/data")
    started = time.perf_counter()
    write_result(NAME, run(args), started)


if __name__ == "__main__":
    main()
