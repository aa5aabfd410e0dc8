"""How a ticket's tokens are stored: one space-joined string, with a marker where the
customer's follow-ups begin.

Clustering reads every token (a follow-up can say more about the issue than a vague
opening); the customer-outcome rankings read only the opening, because the words of a
reopen ("上次", "still broken") would otherwise explain the reopen by itself.
"""

from __future__ import annotations

from collections.abc import Sequence

FOLLOW_UPS = "<follow_ups>"
_SPLIT = f" {FOLLOW_UPS} "


def stored_text(tokens: Sequence[str], opening: int) -> str:
    """`tokens` with the marker after the first `opening` (none when nothing follows)."""
    if opening >= len(tokens):
        return " ".join(tokens)
    return " ".join([*tokens[:opening], FOLLOW_UPS, *tokens[opening:]])


def all_tokens(text: str) -> list[str]:
    return [t for t in text.split() if t != FOLLOW_UPS]


def opening_text(text: str) -> str:
    """The opening's tokens, space-joined (all of them for text stored before the
    marker existed)."""
    if text.startswith(FOLLOW_UPS):
        return ""
    return text.partition(_SPLIT)[0]


def opening_tokens(text: str) -> list[str]:
    return opening_text(text).split()
