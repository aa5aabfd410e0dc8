"""Run the real `ticketminer serve` as a subprocess, and the real grpcurl against it.

Not a test module: end-to-end tests import `ServerProcess` and `grpcurl` from here
(pytest puts this directory on sys.path, as for builders.py). Every wait is bounded,
so a broken server fails a test instead of hanging the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc

# The venv's console scripts sit next to its interpreter (do not resolve symlinks:
# .venv/bin/python usually links to the system interpreter).
BIN_DIR = Path(sys.executable).parent
GRPCURL = str(BIN_DIR / "grpcurl")

START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
GRPCURL_TIMEOUT = 20.0


class ServerError(RuntimeError):
    """The server did not start or stop as expected; the message carries its log."""


def parse_event(line: str) -> dict[str, Any] | None:
    """The JSON object logged on `line` (after the asctime/level prefix), if any."""
    start = line.find("{")
    if start < 0:
        return None
    try:
        value = json.loads(line[start:])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class ServerProcess:
    """`ticketminer serve --port 0 --db <db>` in a subprocess.

    Use as a context manager (start on enter, stop on exit) or call start()/stop().
    stderr is drained by a background thread into `lines`, so the pipe never fills.
    """

    def __init__(
        self,
        db: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        grace_seconds: float = 2.0,
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.db = str(db)
        self.host = host
        self.grace_seconds = grace_seconds
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        # No inherited TICKETMINER_* settings (e.g. a LOG_LEVEL that would hide the
        # "serving" line); the test decides everything through flags and `env`.
        base = {k: v for k, v in os.environ.items() if not k.startswith("TICKETMINER_")}
        base["PYTHONUNBUFFERED"] = "1"
        base.update(env or {})
        self.env = base
        self.port: int | None = None
        self.http_port: int | None = None  # the HTTP/JSON gateway's (--http-port -1: None)
        self.proc: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._eof = False
        self._reader: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "ticketminer.cli",
            "serve",
            "--host",
            self.host,
            "--port",
            "0",
            "--db",
            self.db,
            "--grace-seconds",
            str(self.grace_seconds),
            "--log-level",
            "INFO",
            # A free port, not serve's 8080 (extra_args may say -1 to turn it off).
            "--http-port",
            "0",
            *self.extra_args,
        ]

    def start(self) -> ServerProcess:
        if self.proc is not None:
            raise ServerError("already started")
        self.proc = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=self.env,
            start_new_session=True,  # our signals only, never the terminal's
        )
        self._reader = threading.Thread(target=self._drain, name="server-stderr", daemon=True)
        self._reader.start()
        try:
            serving = self.wait_for_event("serving", timeout=self.start_timeout)
            self.port = int(serving["port"])
            http_port = serving.get("http_port")
            self.http_port = int(http_port) if http_port is not None else None
            self._wait_ready(deadline=time.monotonic() + self.start_timeout)
        except BaseException:
            self._force_kill()
            raise
        return self

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        try:
            for line in self.proc.stderr:
                with self._cond:
                    self._lines.append(line.rstrip("\n"))
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    def _wait_ready(self, deadline: float) -> None:
        with grpc.insecure_channel(self.address) as channel:
            try:
                grpc.channel_ready_future(channel).result(
                    timeout=max(0.1, deadline - time.monotonic())
                )
            except grpc.FutureTimeoutError:
                raise ServerError(f"{self.address} never became ready\n{self.log}") from None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        if self.running:
            self.stop()
        else:
            self._reap()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise ServerError("not started")
        return self.proc.pid

    @property
    def address(self) -> str:
        if self.port is None:
            raise ServerError("not serving yet")
        return f"{self.host}:{self.port}"

    def terminate(self) -> None:
        """Send SIGTERM (graceful shutdown) without waiting."""
        if self.running:
            os.kill(self.pid, signal.SIGTERM)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """The exit code; ServerError if the process is still running after `timeout`."""
        if self.proc is None:
            raise ServerError("not started")
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ServerError(f"server still running after {timeout} s\n{self.log}") from None
        self._join_reader()
        return code

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit code (negative
        for a signal, as in subprocess)."""
        if self.proc is None:
            raise ServerError("not started")
        self.terminate()
        try:
            return self.wait(timeout)
        except ServerError:
            self._force_kill()
            raise

    def kill9(self, wait_timeout: float = STOP_TIMEOUT) -> int:
        """SIGKILL: no shutdown code runs. Returns the exit code (-9)."""
        if self.proc is None:
            raise ServerError("not started")
        if self.running:
            os.kill(self.pid, signal.SIGKILL)
        return self.wait(wait_timeout)

    def _force_kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=STOP_TIMEOUT)
        self._join_reader()

    def _reap(self) -> None:
        if self.proc is not None:
            self.proc.wait(timeout=STOP_TIMEOUT)
            self._join_reader()

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)

    # ----------------------------------------------------------------------- log

    @property
    def lines(self) -> list[str]:
        """A copy of the stderr lines so far."""
        with self._cond:
            return list(self._lines)

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """The JSON log events so far, optionally only those with event == name."""
        out = [e for e in map(parse_event, self.lines) if e is not None]
        return out if name is None else [e for e in out if e.get("event") == name]

    def wait_for_event(self, name: str, timeout: float) -> dict[str, Any]:
        """The first event `name`, waiting up to `timeout` for it to be logged."""
        deadline = time.monotonic() + timeout
        with self._cond:
            seen = 0
            while True:
                for line in self._lines[seen:]:
                    event = parse_event(line)
                    if event is not None and event.get("event") == name:
                        return event
                seen = len(self._lines)
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    break
                self._cond.wait(timeout=min(left, 0.5))
        why = "exited" if self._eof else f"did not log it within {timeout} s"
        raise ServerError(f"no {name!r} event: the server {why}\n{self.log}")


def grpcurl(
    *args: str, data: str | dict[str, Any] | None = None, timeout: float = GRPCURL_TIMEOUT
) -> tuple[int, str, str]:
    """Run the venv's grpcurl; `data` (JSON text or a dict) goes in via `-d @` and stdin.

    Returns (returncode, stdout, stderr). grpcurl exits 64 + the gRPC code on an
    error status (e.g. 67 for INVALID_ARGUMENT).
    """
    argv = [GRPCURL, "-max-time", str(max(1, int(timeout) - 2))]
    stdin = None
    if data is not None:
        stdin = data if isinstance(data, str) else json.dumps(data)
        argv += ["-d", "@"]
    argv += list(args)
    try:
        done = subprocess.run(
            argv,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"grpcurl timed out after {timeout} s: {argv}") from exc
    return done.returncode, done.stdout, done.stderr
