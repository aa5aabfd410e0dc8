"""Turn a pstats file from bench.profiled into a few numbers a reader can act on.

The profile uses each thread's CPU clock, so blocking (a pool thread waiting in
SimpleQueue.get, a lock acquire) costs next to nothing; how much CPU those
primitives did use is reported separately.
"""

from __future__ import annotations

import pstats
from pathlib import Path
from typing import Any

WAITS = (
    "<method 'get' of '_queue.SimpleQueue' objects>",
    "<method 'acquire' of '_thread.lock' objects>",
    "<method 'acquire' of '_thread.RLock' objects>",
    "<built-in method time.sleep>",
    "<method 'disable' of '_lsprof.Profiler' objects>",
)


def _label(key: tuple[str, int, str]) -> str:
    file, line, func = key
    if file == "~":
        return func
    short = file
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in file:
            short = file.split(marker, 1)[1]
            break
    return f"{short}:{line}({func})"


def summarize(
    path: Path, entries: dict[str, tuple[str, str]], calls: int, top: int = 15
) -> dict[str, Any]:
    """Cumulative CPU of named functions (label -> (file suffix, function name)) as a
    share of all work, and the top functions by own time. `calls` scales to per call."""
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    waits = sum(v[2] for k, v in stats.items() if k[0] == "~" and k[2] in WAITS)
    total = sum(v[2] for v in stats.values())
    found: dict[str, dict[str, float]] = {}
    for label, (suffix, func) in entries.items():
        cum = sum(v[3] for k, v in stats.items() if k[0].endswith(suffix) and k[2] == func)
        found[label] = {
            "cpu_s": round(cum, 3),
            "share": round(cum / total, 4) if total else 0.0,
            "us_per_call": round(cum / calls * 1e6, 1) if calls else 0.0,
            "calls": sum(v[1] for k, v in stats.items() if k[0].endswith(suffix) and k[2] == func),
        }
    own = sorted(
        ((k, v) for k, v in stats.items() if not (k[0] == "~" and k[2] in WAITS)),
        key=lambda kv: kv[1][2],
        reverse=True,
    )[:top]
    return {
        "profiled_cpu_s": round(total, 3),
        "of_which_blocking_primitives_s": round(waits, 3),
        "calls": calls,
        "by_function": found,
        "top_own_time": [
            {"function": _label(k), "own_s": round(v[2], 3), "share": round(v[2] / total, 4)}
            for k, v in own
        ],
    }
