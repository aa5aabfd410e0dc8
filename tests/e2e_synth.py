"""Helpers of the end-to-end tests on generated data: write a history with the real
`ticketminer synth`, and call the real server with the real grpcurl.

Not a test module (pytest puts this directory on sys.path, as for builders.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from server_process import ServerProcess, grpcurl

SVC = "ticketminer.v1.TicketMiner"


def call(server: ServerProcess, method: str, data: dict | str, timeout: float = 120) -> dict:
    """One grpcurl call; fails the test with the server's last log lines on an error."""
    code, out, err = grpcurl(
        "-plaintext", "-d", "@", server.address, f"{SVC}/{method}", data=data, timeout=timeout
    )
    assert code == 0, err + "\n".join(server.lines[-40:])
    return json.loads(out)


def synth(tmp_path: Path, preset: str, tenant: str, *params: str) -> tuple[str, dict]:
    """(the history as an IngestTickets stream for grpcurl, its ground truth)."""
    out, truth = tmp_path / f"{tenant}.jsonl", tmp_path / f"{tenant}.truth.json"
    args = ("--preset", preset, "--tenant", tenant, "--out", str(out), "--truth", str(truth))
    subprocess.run(
        [sys.executable, "-m", "ticketminer.cli", "synth", *params, *args],
        check=True,
        capture_output=True,
        timeout=300,
    )
    stream = "\n".join(
        json.dumps({"ticket": json.loads(line)}, ensure_ascii=False)
        for line in out.read_text(encoding="utf-8").splitlines()
    )
    return stream, json.loads(truth.read_text(encoding="utf-8"))
