"""What every embedding backend offers: texts in, unit vectors out.

A backend is chosen per server (`--embedder`). Vectors are stored with the backend's
`model_id`, so a change of model is noticed and the tickets are embedded again; a
re-cluster never calls the backend for stored tickets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

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


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 rows scaled to unit length; all-zero rows stay zero."""
    out = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
