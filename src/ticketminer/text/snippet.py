"""Short ticket excerpts that are safe to show to anyone who can read a report."""

from __future__ import annotations

from .normalization import normalize
from .pii import mask_pii

SNIPPET_CHARS = 200


def masked_snippet(subject: str, description: str, limit: int = SNIPPET_CHARS) -> str:
    """Subject and description, normalised and with e-mails, phones and ids masked."""
    text = " ".join(part for part in (subject, description) if part)
    return mask_pii(normalize(text))[:limit]
