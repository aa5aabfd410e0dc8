"""Cell values shared by every importer: statuses, CSAT words, times, durations, counts.

Every mapper takes the cell text and returns the value, None for an empty cell (or
a word that means "no value", such as Zendesk's "Offered"), or an `Invalid` naming
what is wrong. They never raise, so one bad cell costs one row and one clear line,
never the import. The rules live here once so that the wire-shape CSV and JSONL
readers and the vendor CSV readers accept the same words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TypeVar

from ticketminer.domain.model import TicketStatus
from ticketminer.domain.timeutil import OUT_OF_RANGE, in_supported_range

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a cell could not be read; the reader turns it into a FieldViolation."""

    reason: str


Mapped = T | None | Invalid

STATUS_PREFIX = "TICKET_STATUS_"
_SEPARATORS = re.compile(r"[\s\-_]+")
MAX_SHOWN = 40  # characters of a bad cell quoted back in a message


def shown(text: str) -> str:
    """The cell quoted for a message, cut short: a 2 MB cell must not become a 2 MB line."""
    return repr(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "...")


# --- status ------------------------------------------------------------------------

# Vendor words: Zendesk (new, open, pending, hold, solved, closed), Freshdesk (Open,
# Pending, Resolved, Closed, "Waiting on Customer", "Waiting on Third Party"),
# and the wire enum's names with or without the TICKET_STATUS_ prefix.
STATUS_WORDS: dict[str, TicketStatus] = {
    **{status.name.lower(): status for status in TicketStatus},
    "hold": TicketStatus.ON_HOLD,
    "onhold": TicketStatus.ON_HOLD,
    "resolved": TicketStatus.SOLVED,
    "waiting on customer": TicketStatus.PENDING,
    "waiting on third party": TicketStatus.ON_HOLD,
}


def status(text: str) -> Mapped[TicketStatus]:
    """A status word in any case and spelling ("solved", "Solved", "on-hold",
    "TICKET_STATUS_SOLVED"), or the wire enum's number."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if cleaned.isascii() and cleaned.isdigit():
        number = int(cleaned)
        if number in TicketStatus._value2member_map_:
            return TicketStatus(number)
        return Invalid(f"unknown status number {number}")
    key = _SEPARATORS.sub(" ", cleaned).lower()
    if key.startswith("ticket status "):
        key = key[len("ticket status ") :]
    found = STATUS_WORDS.get(key) or STATUS_WORDS.get(key.replace(" ", "_"))
    if found is None and key.startswith("waiting on "):
        found = TicketStatus.ON_HOLD  # a Freshdesk "Waiting on <team>" status
    if found is None:
        names = ", ".join(s.name.lower() for s in TicketStatus if s)
        return Invalid(f"unknown status {shown(cleaned)}: use one of {names}")
    return found


# --- CSAT --------------------------------------------------------------------------

# Words on a 1-5 scale. Zendesk rates Good/Bad (5/1; "Offered" and "Unoffered" mean no
# rating). Freshdesk exports the chosen answer's text: the classic survey's Awesome /
# Just Okay / Not Good, or a custom survey's 3- to 7-point Happy...Unhappy scale.
CSAT_WORDS: dict[str, int] = {
    "good": 5,
    "good, i'm satisfied": 5,
    "bad": 1,
    "bad, i'm unsatisfied": 1,
    "very satisfied": 5,
    "extremely satisfied": 5,
    "satisfied": 4,
    "neutral": 3,
    "dissatisfied": 2,
    "unsatisfied": 2,
    "very dissatisfied": 1,
    "extremely dissatisfied": 1,
    "awesome": 5,
    "just okay": 3,
    "okay": 3,
    "not good": 1,
    "extremely happy": 5,
    "very happy": 4,
    "happy": 4,
    "unhappy": 2,
    "very unhappy": 2,
    "extremely unhappy": 1,
    "strongly agree": 5,
    "agree": 4,
    "disagree": 2,
    "strongly disagree": 1,
}
# Words that say the customer did not rate: the rating is left unset, not rejected.
NOT_RATED = frozenset(
    ("offered", "unoffered", "not offered", "not rated", "no rating", "none", "-", "--", "n/a")
)


def csat(text: str) -> Mapped[int]:
    """1-5 as digits, or a rating word (Good -> 5, Bad -> 1, ...)."""
    key = " ".join(text.split()).lower().replace("\u2019", "'")
    if not key or key in NOT_RATED:
        return None
    if key.isascii() and key.isdigit():
        value = int(key) if len(key) < 4 else 0
        return value if 1 <= value <= 5 else Invalid(f"{shown(text)} is not a rating from 1 to 5")
    found = CSAT_WORDS.get(key)
    if found is None:
        return Invalid(f"unknown satisfaction rating {shown(text)}: use 1-5, Good or Bad")
    return found


# --- times -------------------------------------------------------------------------

TIME_FORMATS = "YYYY-MM-DD HH:MM[:SS] or RFC 3339"
NO_OFFSET = "has no UTC offset"


def timestamp(text: str, zone: tzinfo | None) -> Mapped[datetime]:
    """An ISO 8601 / RFC 3339 time, or the vendors' `2026-03-02 09:00[:00]`.

    A time without a UTC offset is read in `zone` (the export's account zone, given
    with --tz); without a zone it is refused rather than guessed, because Zendesk
    and Freshdesk write local times and a silent UTC would shift every duration
    that mixes them with offset-carrying times.
    """
    cleaned = text.strip()
    if not cleaned:
        return None
    # "2026-03-02 09:00:00 +0100": a space before the offset is not ISO 8601.
    if len(cleaned) > 6 and cleaned[-6] == " " and cleaned[-5] in "+-":
        cleaned = cleaned[:-6] + cleaned[-5:]
    elif cleaned.endswith(" UTC"):
        cleaned = cleaned[:-4] + "+00:00"
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        return Invalid(f"{shown(text)} is not a time ({TIME_FORMATS})")
    if value.tzinfo is None:
        if zone is None:
            return Invalid(f"{shown(text)} {NO_OFFSET}: pass --tz with the export's zone")
        value = value.replace(tzinfo=zone)
    try:  # comparing converts to UTC, which fails at the edges of year 1 and 9999
        in_range = in_supported_range(value)
    except (OverflowError, ValueError):
        in_range = False
    return value if in_range else Invalid(f"{shown(text)}: {OUT_OF_RANGE}")


# --- durations and counts ----------------------------------------------------------

_MAX_SECONDS = 200 * 365 * 86_400.0  # beyond any ticket's life: a wrong column


def _seconds(value: float, text: str) -> Mapped[float]:
    if not math.isfinite(value) or value < 0:
        return Invalid(f"{shown(text)} must be a duration of 0 or more")
    if value > _MAX_SECONDS:
        return Invalid(f"{shown(text)} is longer than 200 years")
    return value


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def minutes(text: str) -> Mapped[float]:
    """Minutes as a number ("42", "42.5"), returned in seconds."""
    cleaned = text.strip()
    if not cleaned:
        return None
    value = _number(cleaned) if len(cleaned) < 40 else None
    if value is None:
        return Invalid(f"{shown(text)} is not a number of minutes")
    return _seconds(value * 60.0, text)


def hours(text: str) -> Mapped[float]:
    """Freshdesk's "in hrs" columns: `HH:MM:SS` (`HH:MM`), or decimal hours; in seconds."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if ":" in cleaned and len(cleaned) < 40:
        parts = cleaned.split(":")
        if 2 <= len(parts) <= 3 and all(p.isascii() and p.isdigit() for p in parts):
            h, m, s = (int(p) for p in (*parts, "0")[:3])
            if m < 60 and s < 60:
                return _seconds(h * 3600.0 + m * 60.0 + s, text)
        return Invalid(f"{shown(text)} is not a duration (HH:MM:SS or hours)")
    value = _number(cleaned) if len(cleaned) < 40 else None
    if value is None:
        return Invalid(f"{shown(text)} is not a duration (HH:MM:SS or hours)")
    return _seconds(value * 3600.0, text)


def seconds(text: str) -> Mapped[float]:
    cleaned = text.strip()
    if not cleaned:
        return None
    value = _number(cleaned) if len(cleaned) < 40 else None
    if value is None:
        return Invalid(f"{shown(text)} is not a number of seconds")
    return _seconds(value, text)


MAX_COUNT = 2**31 - 1


def count(text: str) -> Mapped[int]:
    """A whole number of 0 or more; "3.0" (a spreadsheet's re-save) is 3."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if cleaned.isascii() and cleaned.isdigit() and len(cleaned) < 11:
        value = int(cleaned)
    else:
        number = _number(cleaned) if len(cleaned) < 40 else None
        if number is None or not number.is_integer():
            return Invalid(f"{shown(text)} is not a whole number")
        value = int(number)
    if value < 0:
        return Invalid(f"{shown(text)} must not be negative")
    if value > MAX_COUNT:
        return Invalid(f"{shown(text)} is too large")
    return value


def split_tags(text: str, separators: str) -> list[str]:
    """Tags split on any of `separators` (whitespace always separates a Zendesk tag)."""
    if not text:
        return []
    for sep in separators[1:]:
        text = text.replace(sep, separators[0])
    sep = separators[0]
    parts = text.split() if sep.isspace() else text.split(sep)
    seen: dict[str, None] = {}
    for part in parts:
        tag = part.strip()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)
