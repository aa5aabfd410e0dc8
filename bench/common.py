"""Shared helpers: machine facts, result files, server subprocesses, percentiles."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "bench"
PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0


def git_revision() -> str:
    """HEAD, marked dirty when src/ has uncommitted changes (others edit in parallel)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' (src modified)' if dirty else ''}" or "unknown"


def machine_facts() -> dict[str, Any]:
    """What the numbers were measured on."""
    import google.protobuf
    import numpy
    import sqlalchemy
    from google.protobuf.internal import api_implementation

    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_gb = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        mem_gb = round(int(first.split()[1]) / 1024 / 1024, 1)
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gb": mem_gb,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "protobuf": f"{google.protobuf.__version__} ({api_implementation.Type()})",
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "numpy": numpy.__version__,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "git": git_revision(),
    }


def command_line() -> str:
    """The command that reproduces this run, relative to the repo root."""
    module = Path(sys.argv[0]).stem
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    return f".venv/bin/python -m bench.{module}" + (f" {args}" if args else "")


def write_result(name: str, data: dict[str, Any], started: float | None = None) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = {
        "benchmark": name,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command_line(),
        "machine": machine_facts(),
        **({"wall_seconds": round(time.perf_counter() - started, 1)} if started else {}),
        **data,
    }
    path = ARTIFACTS / f"{name}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(data, indent=2, ensure_ascii=False))
    print(f"wrote {path}", file=sys.stderr)
    return path


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return percentile(values, 0.5)


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """The unary-load knobs shared by the IngestTicket and server-flavour benchmarks."""
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=32)


def load_config(args: argparse.Namespace) -> dict[str, Any]:
    """The load arguments as recorded in a result file."""
    return {
        "calls": args.count,
        "warmup_calls": args.warmup,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
    }


def ratios_per_round(
    rounds: Sequence[dict[str, dict[str, float]]], system: str, baseline: str
) -> dict[str, list[float]]:
    """`system` against `baseline` per round, higher is better for `system`:
    throughput system / baseline, latency baseline / system."""
    return {
        "throughput": [r[system]["throughput"] / r[baseline]["throughput"] for r in rounds],
        "p50": [r[baseline]["p50_ms"] / r[system]["p50_ms"] for r in rounds],
        "p99": [r[baseline]["p99_ms"] / r[system]["p99_ms"] for r in rounds],
    }


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETMINER_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def self_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


class ServerProc:
    """A server in its own process that logs {"event":"serving","port":N} on stderr.

    stderr goes to a file (nothing in this process drains a pipe while measuring);
    every wait is bounded and a failure to start raises with the log attached. The
    server stays in this process group, so run_all's time limit stops it too.
    """

    def __init__(
        self,
        argv: Sequence[str],
        log_path: Path,
        env: dict[str, str] | None = None,
        port: int = 0,
    ) -> None:
        """`port`: the port the command was told to use (0: read it from the log)."""
        self.argv = list(argv)
        self.log_path = log_path
        self.env = clean_env(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = port

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self, timeout: float = START_TIMEOUT) -> ServerProc:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as err:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=self.env,
                cwd=ROOT,
            )
        deadline = time.monotonic() + timeout
        try:
            while not self.port:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited early:\n{self.log_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not serving after {timeout} s")
                for line in self.log_text().splitlines():
                    if '"event":"serving"' in line:
                        self.port = int(json.loads(line[line.index("{") :])["port"])
                time.sleep(0.05)
            with grpc.insecure_channel(self.address) as channel:
                ready = grpc.channel_ready_future(channel)
                while True:
                    try:
                        ready.result(timeout=0.2)
                        break
                    except grpc.FutureTimeoutError:
                        if self.proc.poll() is not None:
                            raise RuntimeError(
                                f"server exited early:\n{self.log_text()[-3000:]}"
                            ) from None
                        if time.monotonic() > deadline:
                            msg = f"{self.address} not ready after {timeout} s"
                            raise RuntimeError(msg) from None
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=STOP_TIMEOUT)

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.pid)

    def __enter__(self) -> ServerProc:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A loopback port free right now (for servers that do not log the one they got)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ticketminer_argv(
    db: Path, *extra: str, port: int = 0, profile_to: Path | None = None
) -> list[str]:
    """`ticketminer serve` on loopback (port 0: any free one, read from the log),
    optionally under the per-thread profiler."""
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db)]
    serve += ["--grace-seconds", "2", *extra]
    if profile_to is not None:
        return [PYTHON, "-m", "bench.profiled", "--out", str(profile_to), "--", *serve]
    return [PYTHON, "-m", "ticketminer.cli", *serve]


def echo_argv(flavour: str = "sync", workers: int = 32) -> list[str]:
    return [PYTHON, "-m", "bench.echo_server", "--flavour", flavour, "--workers", str(workers)]


def run_json(argv: Sequence[str], timeout: float, env: dict[str, str] | None = None) -> Any:
    """Run a helper process that prints one JSON document as its last stdout line."""
    done = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=clean_env(env),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def temp_dir(name: str) -> Iterator[Path]:
    """A scratch directory under artifacts/bench/tmp (same disk as the cached data)."""
    import shutil
    import tempfile

    base = ARTIFACTS / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def cached_data(
    filename: str, build: Callable[[Path], dict[str, Any]]
) -> tuple[Path, dict[str, Any] | None]:
    """A data file under artifacts/bench/data, built once; (path, build stats or None)."""
    directory = ARTIFACTS / "data"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    if path.exists():
        return path, None
    log(f"building {path.name} (cached for later runs)")
    return path, build(path)
