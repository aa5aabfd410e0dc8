"""Conversions between aware datetimes and int64 epoch microseconds, the supported
time range, and time zone names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Every stored or queried moment lies in [SUPPORTED_START, SUPPORTED_END): far enough
# from datetime's year-1 and year-9999 edges that local-time and bucket arithmetic
# (a day or a week either side, in any zone) never overflows.
SUPPORTED_START = EPOCH
SUPPORTED_END = datetime(2200, 1, 1, tzinfo=UTC)
OUT_OF_RANGE = "must be between 1970-01-01T00:00:00Z and 2200-01-01T00:00:00Z"


def to_us(value: datetime) -> int:
    """Exact: integer arithmetic, no float rounding."""
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_us_or_none(value: datetime | None) -> int | None:
    return None if value is None else to_us(value)


def from_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def from_us_or_none(value: int | None) -> datetime | None:
    return None if value is None else from_us(value)


def utc_now() -> datetime:
    return datetime.now(UTC)


def in_supported_range(value: datetime) -> bool:
    return SUPPORTED_START <= value < SUPPORTED_END


def zone_or_none(name: str) -> ZoneInfo | None:
    """The IANA zone, or None for anything that is not one: an unknown name, a folder
    of the database ("Asia"), a path, a NUL byte."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None
