"""Text pipeline throughput: tickets/s and MB/s with the rjieba and the jieba backend.

Measures, in one process and round-robin (so machine noise hits both backends alike):
- the full pipeline (`TextPipeline.tokens`: normalize, mask_pii, tokenize, filter), per backend;
- the raw segmenter alone on the same texts (`jieba.lcut(t, HMM=False)` vs `rjieba.cut(t, False)`);
- for the rjieba pipeline, the time of each stage, to show where the time goes.

Data: a fixed sample (seed 0) of the online_shopping_10_cats reviews (Chinese) and all of the
Banking77 test texts (English), read from ../shared/data. MB are UTF-8 input bytes (10^6).
Each figure is the median of `--rounds` rounds after one warm-up pass.

    python -m bench.tokenizer_throughput [--out artifacts/bench/tokenizer_throughput.json]
        [--reviews 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import ARTIFACTS, ROOT, command_line, log, machine_facts, median
from bench.real_text import BANKING77, SHOPPING_ZIP, banking77, online_shopping
from ticketminer.text import TextPipeline, Tokenizer, mask_pii, normalize

NAME = "tokenizer_throughput"
REVIEWS_ZIP = SHOPPING_ZIP
BANKING77_TEST = BANKING77 / "test.csv"
BACKENDS = ("rjieba", "jieba")
ONE_MILLION = 1_000_000


def load_reviews(limit: int) -> tuple[list[str], int]:
    """A seeded sample of `limit` reviews (all when limit <= 0), and how many there are."""
    reviews, _ = online_shopping(label=None)
    total = len(reviews)
    if 0 < limit < total:
        reviews = random.Random(0).sample(reviews, limit)
    return reviews, total


def load_banking77() -> list[str]:
    return banking77("test")[0]


def timed(fn: Callable[[Any], object], texts: Sequence[Any]) -> tuple[float, float]:
    """Wall and process CPU seconds of `fn` over `texts` (CPU time is the figure that other
    processes on this shared 2-core machine disturb least)."""
    cpu = time.process_time()
    started = time.perf_counter()
    for text in texts:
        fn(text)
    return time.perf_counter() - started, time.process_time() - cpu


def rates(seconds: list[tuple[float, float]], texts: int, nbytes: int) -> dict[str, Any]:
    wall = median([w for w, _ in seconds])
    cpu = median([c for _, c in seconds])
    return {
        "tickets_per_s": round(texts / wall),
        "mb_per_s": round(nbytes / 1e6 / wall, 3),
        "us_per_ticket": round(wall / texts * 1e6, 2),
        "cpu_tickets_per_s": round(texts / cpu),
        "wall_seconds_per_round": [round(w, 3) for w, _ in seconds],
        "cpu_seconds_per_round": [round(c, 3) for _, c in seconds],
    }


def stage_functions(pipeline: TextPipeline) -> dict[str, Callable[[str], object]]:
    """Each stage on the previous stage's output (inputs are precomputed per dataset)."""
    tokenizer = pipeline.tokenizer
    return {
        "normalize": normalize,
        "mask_pii": mask_pii,
        "tokenize": tokenizer.tokens_lowercase,
        "filter": pipeline._filter,  # the internal stage, measured on its own
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    reviews, total_reviews = load_reviews(args.reviews)
    datasets = {"online_shopping": reviews, "banking77_test": load_banking77()}
    sizes = {name: sum(len(t.encode("utf-8")) for t in texts) for name, texts in datasets.items()}
    log(f"data: {', '.join(f'{k} {len(v)} texts' for k, v in datasets.items())}")

    started = time.perf_counter()
    pipelines = {b: TextPipeline(Tokenizer(b)) for b in BACKENDS}
    load_seconds = round(time.perf_counter() - started, 2)

    import jieba
    import rjieba

    segmenters: dict[str, Callable[[str], object]] = {
        "rjieba": lambda t: rjieba.cut(t, False),
        "jieba": lambda t: jieba.lcut(t, HMM=False),
    }
    # Stage inputs: what each stage receives inside the rjieba pipeline.
    stage_inputs: dict[str, dict[str, list[Any]]] = {}
    rj = pipelines["rjieba"]
    for name, texts in datasets.items():
        normalized = [normalize(t) for t in texts]
        masked = [mask_pii(t) for t in normalized]
        tokens = [rj.tokenizer.tokens_lowercase(t) for t in masked]
        stage_inputs[name] = {
            "normalize": list(texts),
            "mask_pii": normalized,
            "tokenize": masked,
            "filter": tokens,
        }

    Times = list[tuple[float, float]]
    pipe_s: dict[str, dict[str, Times]] = {b: {d: [] for d in datasets} for b in BACKENDS}
    seg_s: dict[str, dict[str, Times]] = {b: {d: [] for d in datasets} for b in BACKENDS}
    stage_s: dict[str, dict[str, Times]] = {
        d: {s: [] for s in stage_functions(rj)} for d in datasets
    }
    for texts in datasets.values():  # warm-up: caches, lazy tables, branch predictors
        for backend in BACKENDS:
            timed(pipelines[backend].tokens, texts[:500])
            timed(segmenters[backend], texts[:500])
    for r in range(args.rounds):
        for name, texts in datasets.items():
            for backend in BACKENDS:
                pipe_s[backend][name].append(timed(pipelines[backend].tokens, texts))
                seg_s[backend][name].append(timed(segmenters[backend], texts))
            for stage, fn in stage_functions(rj).items():
                stage_s[name][stage].append(timed(fn, stage_inputs[name][stage]))
        log(f"round {r + 1}/{args.rounds} done")

    pipeline_rates = {
        b: {d: rates(pipe_s[b][d], len(datasets[d]), sizes[d]) for d in datasets} for b in BACKENDS
    }
    segmenter_rates = {
        b: {d: rates(seg_s[b][d], len(datasets[d]), sizes[d]) for d in datasets} for b in BACKENDS
    }
    stage_cpu = {d: {s: median([c for _, c in v]) for s, v in stage_s[d].items()} for d in datasets}
    stages = {
        d: {
            s: {
                "cpu_us_per_ticket": round(v / len(datasets[d]) * 1e6, 2),
                "share": round(v / sum(stage_cpu[d].values()), 3),
            }
            for s, v in stage_cpu[d].items()
        }
        for d in datasets
    }
    return {
        "config": {
            "rounds": args.rounds,
            "statistic": "median of rounds (wall and process CPU), after a 500-text warm-up",
            "hmm": False,
            "online_shopping_texts": len(reviews),
            "online_shopping_sample": (
                f"random.Random(0).sample of {total_reviews}"
                if len(reviews) < total_reviews
                else "all"
            ),
            "banking77_test_texts": len(datasets["banking77_test"]),
            "mb": "UTF-8 input bytes / 10^6",
            "dictionary_load_seconds": load_seconds,
        },
        "datasets": {
            d: {
                "texts": len(t),
                "mb": round(sizes[d] / 1e6, 3),
                "mean_chars": round(sum(map(len, t)) / len(t), 1),
            }
            for d, t in datasets.items()
        },
        "pipeline": pipeline_rates,
        "segmenter": segmenter_rates,
        "speedup_rjieba_over_jieba": {
            kind: {
                d: round(res["rjieba"][d]["tickets_per_s"] / res["jieba"][d]["tickets_per_s"], 2)
                for d in datasets
            }
            for kind, res in (("pipeline", pipeline_rates), ("segmenter", segmenter_rates))
        },
        "rjieba_pipeline_stages": stages,
        "reindex_1m_tickets_seconds_single_core": {
            b: {d: round(ONE_MILLION / pipeline_rates[b][d]["tickets_per_s"], 1) for d in datasets}
            for b in BACKENDS
        },
    }


def print_table(data: dict[str, Any]) -> None:
    rows = [("what", "backend", "dataset", "tickets/s", "MB/s", "us/ticket", "CPU tickets/s")]
    for kind in ("pipeline", "segmenter"):
        for backend, per in data[kind].items():
            for dataset, r in per.items():
                rows.append(
                    (
                        kind,
                        backend,
                        dataset,
                        f"{r['tickets_per_s']:,}",
                        f"{r['mb_per_s']:.2f}",
                        f"{r['us_per_ticket']:.1f}",
                        f"{r['cpu_tickets_per_s']:,}",
                    )
                )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(
                cell.ljust(w) if i < 3 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print()
    for dataset, stages in data["rjieba_pipeline_stages"].items():
        parts = ", ".join(
            f"{s} {v['cpu_us_per_ticket']} us ({v['share']:.0%})" for s, v in stages.items()
        )
        print(f"rjieba pipeline stages (CPU), {dataset}: {parts}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ARTIFACTS / f"{NAME}.json")
    parser.add_argument("--reviews", type=int, default=20_000, help="sample size; 0 = all")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    for path in (REVIEWS_ZIP, BANKING77_TEST):
        if not path.exists():
            print(f"missing data file {path} (see ../shared/data/README.md)", file=sys.stderr)
            return 2
    started = time.perf_counter()
    data = run(args)
    out = {
        "benchmark": NAME,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command_line(),
        "machine": machine_facts(),
        "wall_seconds": round(time.perf_counter() - started, 1),
        **data,
    }
    path = args.out if args.out.is_absolute() else ROOT / args.out
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print_table(data)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
