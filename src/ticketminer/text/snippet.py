"""Short ticket excerpts that are safe to show to anyone who can read a report."""

from __future__ import annotations

from .normalization import normalize
from .pii import mask_pii

SNIPPET_CHARS = 200
# How far past the shown text masking looks, so that a phone, card, e-mail or ID that starts in
# the snippet is masked as a whole, not as a fragment that the cut made unrecognisable.
_MASK_MARGIN = 200


def masked_snippet(subject: str, description: str, limit: int = SNIPPET_CHARS) -> str:
    """Subject and description, normalised and with e-mails, phones and ids masked.

    Only what is shown is masked (plus a margin): masking a whole 64 KB description costs time
    for characters nobody sees, on every digest and issue page that shows the ticket. The whole
    text is normalised, since where a quoted reply or signature is cut depends on what follows.
    """
    text = normalize(" ".join(part for part in (subject, description) if part))
    end = limit + _MASK_MARGIN
    while end < len(text):
        masked = mask_pii(text[:end])
        # Placeholders are shorter than most of what they replace. Once the margin's worth of
        # masked text lies past the snippet, the cut cannot reach into what is shown.
        if len(masked) >= limit + _MASK_MARGIN:
            return masked[:limit]
        end *= 2
    return mask_pii(text)[:limit]
