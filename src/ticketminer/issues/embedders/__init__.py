"""Pluggable sentence-embedding backends for tickets (issue 17), chosen by one spec string.

"use" (the default) runs Google USE multilingual v3 in process; "e5" runs
multilingual-e5-small in process (the `e5` extra); an http(s) URL sends the texts to an
OpenAI-compatible embeddings server; "off" embeds nothing. Backends import their model
libraries only when built, so importing this package stays cheap.
"""

from __future__ import annotations

import inspect
from typing import Any

from ticketminer.issues.embedders.base import Embedder, EmbedderUnavailable, unit_rows
from ticketminer.issues.embedders.e5 import E5Embedder
from ticketminer.issues.embedders.remote import RemoteEmbedder
from ticketminer.issues.embedders.universal import UniversalSentenceEncoder

DEFAULT_EMBEDDER = "use"
EMBEDDER_SPECS = ("off", "use", "e5", "http(s)://host:port[/v1]")

__all__ = [
    "DEFAULT_EMBEDDER",
    "EMBEDDER_SPECS",
    "E5Embedder",
    "Embedder",
    "EmbedderUnavailable",
    "RemoteEmbedder",
    "UniversalSentenceEncoder",
    "make_embedder",
    "unit_rows",
]


def make_embedder(spec: str = DEFAULT_EMBEDDER, **options: Any) -> Embedder | None:
    """The backend that `spec` names, or None for "off".

    `options` go to the backend's constructor: `threads` and `batch_size` for "use" and
    "e5"; `model` (required), `api_key`, `timeout_seconds`, `batch_size`, `retries` for a
    URL. Raises ValueError for an unknown spec or option; ImportError when "e5" is not
    installed.
    """
    text = spec.strip()
    if text.lower().startswith(("http://", "https://")):
        if not options.get("model"):
            raise ValueError(f"embedder {text!r}: a remote embedder needs a model name")
        return _build(RemoteEmbedder, text, options, text)
    kind = text.lower()
    if kind == "off":
        return None
    if kind == "use":
        return _build(UniversalSentenceEncoder, kind, options)
    if kind == "e5":
        return _build(E5Embedder, kind, options)
    raise ValueError(f"unknown embedder {spec!r}: expected one of {', '.join(EMBEDDER_SPECS)}")


def _build(cls: type[Any], spec: str, options: dict[str, Any], *args: Any) -> Any:
    """cls(*args, **options), naming the options that this backend does not take."""
    allowed = set(inspect.signature(cls).parameters) - {"self", "base_url"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(
            f"embedder {spec!r} does not take {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(allowed))}"
        )
    return cls(*args, **options)
