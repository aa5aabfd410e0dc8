"""The value readers every importer, the sync clients and the webhooks share:
statuses, CSAT words, times in a zone, durations, counts, ids, text, tags, zones.

Every reader takes a CSV cell or a decoded JSON value and returns the value, None for
an empty one (or a word that means "no value", such as Zendesk's "Offered"), or an
`Invalid` naming what is wrong. They never raise, so one bad value costs one record
and one clear line, never the import. Each caller turns an `Invalid` into its own kind
of error (a CSV row's violation, `take` for the API mappers, InvalidArgument in
`json_values`). The rules live here once, so a CSV export, a saved API file and a
webhook read the same word the same way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

from ticketminer.domain.errors import FieldViolation
from ticketminer.domain.model import TicketStatus
from ticketminer.domain.timeutil import OUT_OF_RANGE, in_supported_range, zone_or_none

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a cell could not be read; the reader turns it into a FieldViolation."""

    reason: str


Mapped = T | None | Invalid

_SEPARATORS = re.compile(r"[\s\-_]+")
MAX_SHOWN = 40  # characters of a bad cell quoted back in a message


def shown(value: Any) -> str:
    """The value quoted for a message, cut short: a 2 MB cell must not become a 2 MB line."""
    text = value if isinstance(value, str) else repr(value)  # a JSON number, array, ...
    return repr(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "...")


def take(value: Mapped[T], field: str, problems: list[FieldViolation]) -> T | None:
    """The value, or None with the reason added to `problems` as a violation on `field`:
    how a mapper that reports every problem of a record at once reads a value."""
    if type(value) is Invalid:
        problems.append(FieldViolation(field, value.reason))
        return None
    return value  # type: ignore[return-value]


# --- status ------------------------------------------------------------------------

# Vendor words: Zendesk (new, open, pending, hold, solved, closed), Freshdesk (Open,
# Pending, Resolved, Closed, "Waiting on Customer", "Waiting on Third Party"), Zammad
# (pending reminder, pending close, merged: Zammad has no separate solved state),
# Chatwoot (snoozed waits on a set time, not on the customer), and the wire enum's
# names with or without the TICKET_STATUS_ prefix.
STATUS_WORDS: dict[str, TicketStatus] = {
    **{status.name.lower(): status for status in TicketStatus},
    "hold": TicketStatus.ON_HOLD,
    "onhold": TicketStatus.ON_HOLD,
    "resolved": TicketStatus.SOLVED,
    "waiting on customer": TicketStatus.PENDING,
    "waiting on third party": TicketStatus.ON_HOLD,
    "pending reminder": TicketStatus.PENDING,
    "pending close": TicketStatus.PENDING,
    "merged": TicketStatus.CLOSED,
    "snoozed": TicketStatus.ON_HOLD,
}


def status(text: str) -> Mapped[TicketStatus]:
    """A status word (`status_word`), or the wire enum's number (files in the wire
    shape and CSV exports)."""
    cleaned = text.strip()
    if cleaned.isascii() and cleaned.isdigit():
        number = int(cleaned) if len(cleaned) < 4 else -1
        if number in TicketStatus._value2member_map_:
            return TicketStatus(number)
        return Invalid(f"unknown status number {cleaned[:MAX_SHOWN]}")
    return status_word(cleaned)


def status_word(value: Any) -> Mapped[TicketStatus]:
    """A status word in any case and spelling ("solved", "Solved", "on-hold",
    "TICKET_STATUS_SOLVED", "Waiting on Customer"). A vendor's JSON states its status
    as a word; a number there is the vendor's own code, never the wire enum's."""
    if value is None:
        return None
    if not isinstance(value, str):
        return Invalid(f"{shown(value)} is not a status word")
    found = STATUS_WORDS.get(value)  # the API's own spelling ("open", "hold")
    if found is not None:
        return found
    cleaned = value.strip()
    if not cleaned:
        return None
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
    "good_with_comment": 5,  # Zendesk's API score of a rating left with a comment
    "bad_with_comment": 1,
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


def csat(text: Any) -> Mapped[int]:
    """1-5 as digits, or a rating word (Good -> 5, Bad -> 1, ...)."""
    if text is None:
        return None
    if not isinstance(text, str):
        return Invalid(f"{shown(text)} is not a rating word")
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
PASS_TZ = "pass --tz with the export's zone"
_MAX_UNIX_SECONDS = 7_258_118_400  # 2200-01-01, the end of the supported range


def zone(name: str | tzinfo | None, default: tzinfo | None = UTC) -> tzinfo | None:
    """The zone times without an offset are read in (`default` when none is named);
    ValueError for a name that is no IANA zone (a usage error, before any record)."""
    if name is None or isinstance(name, tzinfo):
        return name or default
    if not name:
        return default
    found = zone_or_none(name)
    if found is None:
        raise ValueError(
            f"unknown time zone {name[:MAX_SHOWN]!r}: it is not an IANA time zone name "
            "(e.g. Europe/Berlin, UTC)"
        )
    return found


def timestamp(text: str, zone: tzinfo | None, no_zone: str = PASS_TZ) -> Mapped[datetime]:
    """An ISO 8601 / RFC 3339 time, or the vendors' `2026-03-02 09:00[:00]`,
    `2026-03-02 09:00:00 +0100` and `2020-03-03 13:05:57 UTC`.

    A time without a UTC offset is read in `zone` (the export's account zone, given
    with --tz); without a zone it is refused (`no_zone` says what to do) rather than
    guessed, because Zendesk and Freshdesk write local times and a silent UTC would
    shift every duration that mixes them with offset-carrying times.
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
            return Invalid(f"{shown(text)} {NO_OFFSET}: {no_zone}")
        value = value.replace(tzinfo=zone)
    try:  # comparing converts to UTC, which fails at the edges of year 1 and 9999
        in_range = in_supported_range(value)
    except (OverflowError, ValueError):
        in_range = False
    return value if in_range else Invalid(f"{shown(text)}: {OUT_OF_RANGE}")


def moment(value: Any, zone: tzinfo) -> Mapped[datetime]:
    """A time in a vendor's JSON: text as `timestamp` reads it (naive times in
    `zone`), or unix seconds as a number or digits (Chatwoot's `1627063369`)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        digits = value.strip()
        if not (digits.isascii() and digits.isdigit()):
            return timestamp(value, zone)
        value = int(digits) if len(digits) < 12 else _MAX_UNIX_SECONDS
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Invalid(f"{shown(value)} is not a time (RFC 3339 text or unix seconds)")
    if not 0 <= value < _MAX_UNIX_SECONDS:  # NaN fails this too
        return Invalid(f"{shown(value)} is not a unix time in the supported range")
    return datetime.fromtimestamp(value, UTC)


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """End minus start in seconds; None when either is missing or end is earlier (a
    vendor's first-response time before the ticket was created is no response time)."""
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


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


def _scaled(text: str, unit: float, what: str) -> Mapped[float]:
    """A decimal number of `unit`s, in seconds."""
    cleaned = text.strip()
    if not cleaned:
        return None
    value = _number(cleaned) if len(cleaned) < 40 else None
    if value is None:
        return Invalid(f"{shown(text)} is not {what}")
    return _seconds(value * unit, text)


def minutes(text: str) -> Mapped[float]:
    """Minutes as a number ("42", "42.5"), returned in seconds."""
    return _scaled(text, 60.0, "a number of minutes")


def hours(text: str) -> Mapped[float]:
    """Freshdesk's "in hrs" columns: `HH:MM:SS` (`HH:MM`), or decimal hours; in seconds."""
    cleaned = text.strip()
    if ":" in cleaned and len(cleaned) < 40:
        parts = cleaned.split(":")
        if 2 <= len(parts) <= 3 and all(p.isascii() and p.isdigit() for p in parts):
            h, m, s = (int(p) for p in (*parts, "0")[:3])
            if m < 60 and s < 60:
                return _seconds(h * 3600.0 + m * 60.0 + s, text)
        return Invalid(f"{shown(text)} is not a duration (HH:MM:SS or hours)")
    return _scaled(text, 3600.0, "a duration (HH:MM:SS or hours)")


def seconds(text: str) -> Mapped[float]:
    """A number of seconds ("42", "42.5")."""
    return _scaled(text, 1.0, "a number of seconds")


MAX_COUNT = 2**31 - 1


def count(text: Any, most: int = MAX_COUNT) -> Mapped[int]:
    """A whole number from 0 to `most`, as text or a JSON number; "3.0" (a
    spreadsheet's re-save) is 3. JSON's true and false are not counts."""
    if isinstance(text, str):
        cleaned = text.strip()
        if not cleaned:
            return None
        if cleaned.isascii() and cleaned.isdigit() and len(cleaned) < 20:
            value = int(cleaned)
        else:
            number = _number(cleaned) if len(cleaned) < 40 else None
            if number is None or not number.is_integer():
                return Invalid(f"{shown(text)} is not a whole number")
            value = int(number)
    elif text is None:
        return None
    elif isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, float) and text.is_integer():
        value = int(text)
    else:
        return Invalid(f"{shown(text)} is not a whole number")
    if value < 0:
        return Invalid(f"{shown(text)} must not be negative")
    if value > most:
        return Invalid(f"{shown(text)} is too large")
    return value


# --- text, ids, tags, attributes -----------------------------------------------------


def text(value: Any) -> Mapped[str]:
    """A JSON string, or a number written as one (ids are numbers in most helpdesk
    APIs); None for null or "". A lone surrogate (JSON allows "\\ud800"; UTF-8 and the
    database do not) is refused here, not by the database."""
    kind = type(value)  # decoded JSON has exact types; this runs for every id and text
    if kind is str:
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return Invalid("holds an unpaired surrogate (not valid Unicode)")
        return value or None
    if kind is int or kind is float:
        return str(value)
    if value is None:
        return None
    return Invalid("must be a string or a number")  # true/false, an array, an object


def attribute_text(value: Any) -> Mapped[str]:
    """A custom field's value as an attribute string: true/false for booleans, a list
    joined with `|`; None leaves the key out, as does a nested object."""
    if value == [] or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        parts = [text(v) for v in value if v is not None]
        bad = next((p for p in parts if type(p) is Invalid), None)
        return bad or "|".join(p for p in parts if p)  # type: ignore[misc]
    return text(value)


def tags(value: Any, separators: str = ",") -> Mapped[list[str]]:
    """Tags from a JSON array of strings, or from text split on `separators`
    (`{{ticket.tags}}` renders as "a, b"); stripped, without empty or repeated ones."""
    if isinstance(value, str):
        return split_tags(value, separators) or None
    if value is None:
        return None
    if not isinstance(value, list):
        return Invalid("must be a JSON array of tags")
    seen: dict[str, None] = {}
    for item in value:
        tag = text(item)
        if type(tag) is Invalid:
            return tag
        if tag and tag.strip():  # type: ignore[union-attr]
            seen.setdefault(tag.strip(), None)  # type: ignore[union-attr]
    return list(seen) or None


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
