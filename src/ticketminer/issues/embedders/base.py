"""What every embedding backend offers: texts in, unit vectors out.

A backend is chosen per server (`--embedder`). Vectors are stored with the backend's
`model_id`, so a change of model is noticed and the tickets are embedded again; a
re-cluster never calls the backend for stored tickets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np


class EmbedderUnavailable(Exception):
    """The backend cannot embed now (a remote server is down or timed out); the caller
    keeps the work and tries again later."""


@runtime_checkable
class Embedder(Protocol):
    @property
    def model_id(self) -> str:
        """Names the vector space: equal ids give comparable vectors."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows of unit length (all-zero for an empty text).
        Raises EmbedderUnavailable when the backend cannot answer now."""
        ...


class BundledModel:
    """Base of the in-process backends: one model whose weights ship in a package, so
    its id and size are class constants."""

    MODEL_ID = ""
    DIM = 0

    def __init__(self, threads: int = 1, batch_size: int = 64) -> None:
        if threads < 1 or batch_size < 1:
            raise ValueError("threads and batch_size must be at least 1")
        self.threads = threads
        self.batch_size = batch_size
        self._model: Any = None

    @property
    def model_id(self) -> str:
        return self.MODEL_ID

    @property
    def dim(self) -> int:
        return self.DIM

    def load(self) -> None:
        raise NotImplementedError

    def _forward(self, texts: list[str]) -> np.ndarray:
        """The model's raw vectors of one batch of non-blank texts."""
        raise NotImplementedError

    def _lock(self) -> threading.Lock:
        """Held around each forward pass: one pass at a time."""
        raise NotImplementedError

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), DIM) float32 unit rows; blank texts give zero rows unseen by the
        model (and a call with only blank texts does not load it)."""
        if not any(text.strip() for text in texts):
            return np.zeros((len(texts), self.DIM), dtype=np.float32)
        self.load()
        return embed_in_batches(texts, self.DIM, self.batch_size, self._forward, self._lock())


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 rows scaled to unit length; all-zero rows stay zero."""
    out = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def embed_in_batches(
    texts: Sequence[str],
    dim: int,
    batch_size: int,
    forward: Callable[[list[str]], np.ndarray],
    lock: threading.Lock,
) -> np.ndarray:
    """(len(texts), dim) unit rows from `forward` over batches, one batch at a time under
    `lock`; blank texts get zero rows and never reach the model."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    keep = [i for i, text in enumerate(texts) if text.strip()]
    for start in range(0, len(keep), batch_size):
        rows = keep[start : start + batch_size]
        with lock:
            vectors = forward([texts[i] for i in rows])
        out[rows] = unit_rows(vectors)
    return out
