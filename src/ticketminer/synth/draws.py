"""Vectorised weighted draws shared by the columnar path's modules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def categorical(rng: np.random.Generator, weights: Sequence[float], n: int) -> np.ndarray:
    """`n` indices into `weights`, each drawn with probability proportional to its
    weight (zero-weight entries never come up)."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right").astype(
        np.int16
    )
