"""Ticket text processing for issue discovery: normalise, mask personal data, tokenise.

Typical use::

    from ticketminer.text import default_pipeline
    tokens = default_pipeline().ticket_tokens(subject, description, customer_messages)

Importing this package is cheap; dictionaries load on first use (`default_pipeline()` or
`Tokenizer()`).
"""

from __future__ import annotations

from .normalization import normalize, to_simplified
from .pii import PLACEHOLDERS, mask_pii
from .pipeline import TextPipeline, default_pipeline
from .stopwords import STOP_WORDS, STOP_WORDS_EN, STOP_WORDS_ZH
from .tokenize import Tokenizer, detect_script

__all__ = [
    "PLACEHOLDERS",
    "STOP_WORDS",
    "STOP_WORDS_EN",
    "STOP_WORDS_ZH",
    "TextPipeline",
    "Tokenizer",
    "default_pipeline",
    "detect_script",
    "mask_pii",
    "normalize",
    "to_simplified",
]
