"""One vector per ticket from its lexical and its semantic vector.

Neither alone is enough (measured, k-means at the true k, BENCHMARKS.md): the
semantic model joins phrasings and languages but blurs domain words, the lexical
LSA knows the tenant's vocabulary but splits every phrasing. Both blocks are unit
vectors, scaled by sqrt(1 - w) and sqrt(w), so the cosine of two fused vectors is
(1 - w) x lexical cosine + w x semantic cosine. A ticket whose semantic vector is
not computed yet keeps only its lexical block, and is compared with the lexical
block of the centroids (`lexical_block`).
"""

from __future__ import annotations

import numpy as np

from ticketminer.issues.graph_ops import normalize_rows


def has_vector(semantic: np.ndarray) -> np.ndarray:
    """Rows that hold a semantic vector (missing ones are all-zero)."""
    return np.any(semantic != 0, axis=1)


def fuse(lexical: np.ndarray, semantic: np.ndarray, weight: float) -> np.ndarray:
    """(n, d_lex + d_sem) float32 unit rows; rows with no semantic vector get a zero
    semantic block and a unit lexical one."""
    lex = normalize_rows(np.asarray(lexical, dtype=np.float32))
    sem = normalize_rows(np.asarray(semantic, dtype=np.float32))
    present = has_vector(sem)
    scale = np.where(present, np.sqrt(1.0 - weight), 1.0).astype(np.float32)[:, None]
    out = np.hstack([lex * scale, sem * np.float32(np.sqrt(weight))])
    return normalize_rows(out).astype(np.float32)


def lexical_block(vectors: np.ndarray, lexical_dim: int) -> np.ndarray:
    """The unit lexical part of fused vectors (or centroids)."""
    return normalize_rows(np.asarray(vectors[:, :lexical_dim], dtype=np.float32)).astype(np.float32)


def semantic_block(vectors: np.ndarray, lexical_dim: int) -> np.ndarray:
    """The unit semantic part of fused vectors (or centroids)."""
    return normalize_rows(np.asarray(vectors[:, lexical_dim:], dtype=np.float32)).astype(np.float32)
