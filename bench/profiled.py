"""Run a `ticketminer` CLI command under cProfile in every Python thread.

    python -m bench.profiled --out server.prof -- serve --port 0 --db x.db

cProfile only sees the thread that enables it, and a gRPC server does its work in
pool threads, so a profiler is started in each new thread (threading.setprofile)
and all of them are merged when the command returns (e.g. after SIGTERM). The
timer is the thread's CPU clock, so time spent blocked on a queue or a socket does
not count: the profile says where CPU goes. Profiling slows Python code down, so
read shares, not absolute times.

SIGUSR1 takes a baseline: the written profile then only holds what happened after
the last SIGUSR1 (e.g. warm calls only, without the cold first load). The line
{"event":"profile_baseline"} on stderr confirms it.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import marshal
import signal
import sys
import threading
import time
from typing import Any

Key = tuple[str, int, str]
Stats = dict[Key, tuple[int, int, float, float, dict[Any, Any]]]

_profilers: list[cProfile.Profile] = []
_lock = threading.Lock()
_baseline: Stats = {}


def _new_profiler() -> cProfile.Profile:
    prof = cProfile.Profile(time.thread_time)
    with _lock:
        _profilers.append(prof)
    return prof


def _thread_hook(_frame: Any, _event: str, _arg: Any) -> None:
    # Called once at the start of each new thread; enabling replaces this hook.
    _new_profiler().enable()


def _snapshot(prof: cProfile.Profile) -> Stats:
    """What a profiler has recorded so far, without disabling it: disable() from
    another thread would "flush" that thread's unfinished calls (an idle pool
    thread inside SimpleQueue.get) with this thread's CPU clock, inventing seconds
    of CPU, even negative ones. Finished calls are exact."""
    prof.snapshot_stats()  # type: ignore[attr-defined]
    return prof.stats  # type: ignore[attr-defined]


def _merged() -> Stats:
    with _lock:
        profilers = list(_profilers)
    total: Stats = {}
    for prof in profilers:
        for key, (cc, nc, tt, ct, callers) in _snapshot(prof).items():
            if key in total:
                c0, n0, t0, k0, callers0 = total[key]
                merged = dict(callers0)
                for caller, value in callers.items():
                    if caller in merged:
                        old = merged[caller]
                        merged[caller] = tuple(a + b for a, b in zip(old, value, strict=True))
                    else:
                        merged[caller] = value
                total[key] = (c0 + cc, n0 + nc, t0 + tt, k0 + ct, merged)
            else:
                total[key] = (cc, nc, tt, ct, dict(callers))
    return total


def _minus(now: Stats, base: Stats) -> Stats:
    out: Stats = {}
    for key, (cc, nc, tt, ct, callers) in now.items():
        if key in base:
            b = base[key]
            cc, nc, tt, ct = cc - b[0], nc - b[1], tt - b[2], ct - b[3]
            callers = {}  # per-caller deltas are not needed by bench.profile_summary
        if nc > 0 or tt > 0:
            out[key] = (cc, nc, tt, ct, callers)
    return out


def _take_baseline(_signum: int, _frame: Any) -> None:
    global _baseline
    _baseline = _merged()
    print(json.dumps({"event": "profile_baseline"}), file=sys.stderr, flush=True)


def run(out: str, argv: list[str]) -> int:
    from ticketminer.cli import main

    signal.signal(signal.SIGUSR1, _take_baseline)
    threading.setprofile(_thread_hook)
    prof = _new_profiler()
    prof.enable()
    try:
        code = main(argv)
    finally:
        prof.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        stats = _minus(_merged(), _baseline) if _baseline else _merged()
        with open(out, "wb") as f:
            marshal.dump(stats, f)  # the pstats file format
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="where to write the merged pstats file")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then ticketminer args")
    args = parser.parse_args()
    argv = args.command[1:] if args.command[:1] == ["--"] else args.command
    sys.exit(run(args.out, argv))


if __name__ == "__main__":
    main()
