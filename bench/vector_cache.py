"""Semantic vectors of a benchmark's texts, cached on disk by model and content.

    vectors, info = cached_vectors(embedder, texts, "banking77")

The cache file is artifacts/bench/cache/vectors-<name>-<model id>-<sha256 of the texts>.npy
(float32 rows in text order) with a .json beside it recording when and how fast the
texts were embedded. Any change of model or of a single text gives another key, so a
stale vector is never used. Embedding the 31k Chinese reviews takes about 3 minutes on
one core; the cache makes repeated benchmark runs pay it once.

When the vectors come from the cache, `info` still carries a throughput measured in this
run: a fixed sample of the texts (the first `probe` of a seeded shuffle) is embedded
again and timed, and compared with the cached rows.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bench.common import ARTIFACTS

CACHE = ARTIFACTS / "cache"
PROBE_TEXTS = 2000


def texts_key(texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for text in texts:
        h.update(text.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:20]


def cache_path(name: str, model_id: str, texts: Sequence[str]) -> Any:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{name}-{model_id}")
    return CACHE / f"vectors-{safe}-{texts_key(texts)}.npy"


def _embed_timed(embedder: Any, texts: Sequence[str]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    vectors = np.asarray(embedder.embed(list(texts)), dtype=np.float32)
    return vectors, time.perf_counter() - started


def cached_vectors(
    embedder: Any, texts: Sequence[str], name: str, probe: int = PROBE_TEXTS
) -> tuple[np.ndarray, dict[str, Any]]:
    """(vectors, info): info has texts, seconds, texts_per_s (measured in this run),
    cached (bool), file, and for a cache hit the probe's size and its agreement with
    the cached rows (smallest cosine)."""
    path = cache_path(name, embedder.model_id, texts)
    meta_path = path.with_suffix(".json")
    chars = sum(len(t) for t in texts)
    info: dict[str, Any] = {
        "model_id": embedder.model_id,
        "texts": len(texts),
        "mean_chars": round(chars / max(len(texts), 1), 1),
        "file": str(path.relative_to(ARTIFACTS.parent.parent)),
    }
    if path.exists() and meta_path.exists():
        vectors = np.load(path)
        meta = json.loads(meta_path.read_text())
        if vectors.shape[0] == len(texts):
            order = list(range(len(texts)))
            random.Random(0).shuffle(order)
            rows = sorted(order[: min(probe, len(texts))])
            # Load the model first, so the probe times embedding, not the weights.
            embedder.embed([texts[rows[0]]])
            fresh, seconds = _embed_timed(embedder, [texts[i] for i in rows])
            agree = float(np.min(np.sum(fresh * vectors[rows], axis=1))) if rows else 1.0
            info.update(
                cached=True,
                cached_on=meta.get("date"),
                cached_seconds=meta.get("seconds"),
                probe_texts=len(rows),
                seconds=round(seconds, 2),
                texts_per_s=round(len(rows) / seconds, 1) if seconds > 0 else None,
                probe_min_cosine=round(agree, 4),
            )
            return vectors, info
    embedder.embed([texts[0]] if texts else ["warm up"])  # load the weights untimed
    vectors, seconds = _embed_timed(embedder, texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "model_id": embedder.model_id,
        "texts": len(texts),
        "seconds": round(seconds, 2),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    info.update(
        cached=False,
        seconds=round(seconds, 2),
        texts_per_s=round(len(texts) / seconds, 1) if seconds > 0 else None,
    )
    return vectors, info
