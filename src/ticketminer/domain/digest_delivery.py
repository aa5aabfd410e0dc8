"""Digest schedules and deliveries as plain values: when a tenant's weekly digest goes
out, where to, and what became of each week's send.

A schedule names a local wall-clock time (weekday and "HH:MM") in an IANA zone, so
"Monday 09:00 Europe/Berlin" stays 09:00 across daylight-saving changes. A time the
clocks skip (02:30 on a spring-forward night) runs at the instant it would have been
without the jump (03:30 local); a time they repeat (fall back) runs once, at its
first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ticketminer.domain.business_hours import WEEKDAYS, format_clock, parse_clock
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.timeutil import zone_or_none

SCHEDULE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_RECIPIENTS = 50
MAX_URL_CHARS = 2048
MAX_SECRET_CHARS = 256
MAX_EMAIL_CHARS = 254  # RFC 5321's path limit
# Plausible, not RFC 5322: one "@", a dotted domain, and nothing that could end or
# fold a mail header (spaces, commas, angle brackets, CR/LF).
_EMAIL = re.compile(
    r"[^\s@,;<>()\"']+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
MASK = "****"


class Channel(IntEnum):
    """Where a digest goes (numbers as on the wire)."""

    UNSPECIFIED = 0
    EMAIL = 1
    SLACK = 2
    FEISHU = 3
    DINGTALK = 4
    WECOM = 5
    WEBHOOK = 6


# Channels whose receiver checks a signature made with a shared secret: Feishu and
# DingTalk bots sign by their own rules, the generic webhook by X-Ticketminer-Signature.
SIGNED_CHANNELS = frozenset((Channel.FEISHU, Channel.DINGTALK, Channel.WEBHOOK))


class DeliveryStatus(IntEnum):
    UNSPECIFIED = 0
    PENDING = 1
    SENT = 2
    FAILED = 3


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    tenant_id: str
    schedule_id: str
    weekday: int  # ISO: 1 = Monday ... 7 = Sunday
    local_minute: int  # minutes after local midnight
    time_zone: str = ""  # "" = the tenant's time zone
    channel: Channel = Channel.UNSPECIFIED
    recipients: tuple[str, ...] = ()
    webhook_url: str = ""
    secret: str = ""  # never leaves the server
    paused: bool = False
    next_run_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def local_time(self) -> str:
        return format_clock(self.local_minute)

    @property
    def has_secret(self) -> bool:
        return bool(self.secret)

    @property
    def masked_url(self) -> str:
        return mask_url(self.webhook_url)

    def document(self) -> dict[str, Any]:
        """The stored form (the secret is stored apart, and next_run in its column)."""
        return {
            "weekday": self.weekday,
            "local_time": self.local_time,
            "time_zone": self.time_zone,
            "channel": self.channel.name.lower(),
            "recipients": list(self.recipients),
            "webhook_url": self.webhook_url,
            "paused": self.paused,
        }

    @classmethod
    def from_document(
        cls,
        tenant_id: str,
        schedule_id: str,
        doc: dict[str, Any],
        secret: str,
        next_run_at: datetime | None,
        updated_at: datetime | None,
    ) -> DigestSchedule:
        return cls(
            tenant_id,
            schedule_id,
            int(doc["weekday"]),
            parse_clock(doc["local_time"]),
            doc.get("time_zone", ""),
            Channel[doc["channel"].upper()],
            tuple(doc.get("recipients", ())),
            doc.get("webhook_url", ""),
            secret,
            bool(doc.get("paused", False)),
            next_run_at,
            updated_at,
        )


@dataclass(frozen=True, slots=True)
class DigestDelivery:
    """One week's send of one schedule: the row whose unique key (tenant, schedule,
    week) makes a second send of that week impossible."""

    tenant_id: str
    schedule_id: str
    iso_week: str
    channel: Channel
    status: DeliveryStatus
    attempts: int
    last_error: str
    due_at: datetime
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    delivery_id: int = 0


def mask_url(url: str) -> str:
    """The URL with its path, query and credentials hidden: chat webhooks carry their
    token there (Slack's path, DingTalk's access_token, WeCom's key)."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/{MASK}"


def check_schedule(s: DigestSchedule, prefix: str = "schedule") -> None:
    """InvalidArgument naming every bad field of the schedule at once."""
    out: list[FieldViolation] = []

    def bad(name: str, description: str) -> None:
        out.append(FieldViolation(f"{prefix}.{name}", description))

    if not SCHEDULE_ID.fullmatch(s.schedule_id):
        bad("schedule_id", "must be 1 to 64 characters of A-Z, a-z, 0-9, '_', '.' or '-'")
    if s.weekday not in WEEKDAYS:
        bad("weekday", "must be WEEKDAY_MONDAY to WEEKDAY_SUNDAY")
    if not 0 <= s.local_minute < 24 * 60:
        bad("local_time", 'must be "HH:MM" from "00:00" to "23:59"')
    if s.time_zone and zone_or_none(s.time_zone) is None:
        bad("time_zone", f"unknown IANA time zone {s.time_zone[:64]!r}")
    if s.channel == Channel.UNSPECIFIED:
        bad("channel", "is required")
    elif s.channel == Channel.EMAIL:
        _check_recipients(s.recipients, bad)
        if s.webhook_url:
            bad("webhook_url", "must be empty for e-mail (recipients are used)")
    else:
        if s.recipients:
            bad("recipients", "are for e-mail only; this channel posts to webhook_url")
        _check_url(s.webhook_url, bad)
    if s.secret:
        if s.channel not in SIGNED_CHANNELS:
            bad("secret", "is only for Feishu, DingTalk and generic webhook schedules")
        elif len(s.secret) > MAX_SECRET_CHARS or not s.secret.isprintable():
            bad("secret", f"must be at most {MAX_SECRET_CHARS} printable characters")
    if out:
        raise InvalidArgument(out)


def _check_recipients(recipients: tuple[str, ...], bad) -> None:
    if not recipients:
        bad("recipients", "e-mail needs at least one address")
    if len(recipients) > MAX_RECIPIENTS:
        bad("recipients", f"at most {MAX_RECIPIENTS} addresses")
    for i, address in enumerate(recipients[:MAX_RECIPIENTS]):
        if len(address) > MAX_EMAIL_CHARS or not _EMAIL.fullmatch(address):
            bad(f"recipients[{i}]", f"is not an e-mail address: {address[:64]!r}")
    if len(set(a.lower() for a in recipients)) != len(recipients):
        bad("recipients", "list an address once")


def _check_url(url: str, bad) -> None:
    if not url:
        bad("webhook_url", "is required for this channel")
        return
    if len(url) > MAX_URL_CHARS or not url.isprintable() or " " in url:
        bad("webhook_url", f"must be a URL of at most {MAX_URL_CHARS} characters, no spaces")
        return
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        bad("webhook_url", "is not a valid URL")
        return
    if parts.scheme not in ("http", "https") or not parts.hostname:
        bad("webhook_url", "must be an http:// or https:// URL with a host")


def _local(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The instant the local clock shows `minute` on `day` (fold=0; see module doc)."""
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).astimezone(UTC)


def next_run(weekday: int, minute: int, zone: str, after: datetime) -> datetime:
    """The first run strictly after `after`."""
    tz = ZoneInfo(zone)
    today = after.astimezone(tz).date()
    day = today + timedelta(days=(weekday - today.isoweekday()) % 7)
    for _ in range(3):  # at most one week on (two near a DST jump)
        run = _local(day, minute, tz)
        if run > after:
            return run
        day += timedelta(days=7)
    raise AssertionError("unreachable: a week later is always later")


def last_run(weekday: int, minute: int, zone: str, at: datetime) -> datetime:
    """The latest run at or before `at`."""
    tz = ZoneInfo(zone)
    today = at.astimezone(tz).date()
    day = today - timedelta(days=(today.isoweekday() - weekday) % 7)
    for _ in range(3):
        run = _local(day, minute, tz)
        if run <= at:
            return run
        day -= timedelta(days=7)
    raise AssertionError("unreachable: a week earlier is always earlier")


def week_of_run(run_at: datetime, zone: str) -> str:
    """The digest a run sends: the ISO week before the one the run falls in, locally."""
    year, week, _ = (run_at.astimezone(ZoneInfo(zone)).date() - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def with_next_run(s: DigestSchedule, zone: str, after: datetime) -> DigestSchedule:
    """The schedule with next_run_at set (None while paused)."""
    upcoming = None if s.paused else next_run(s.weekday, s.local_minute, zone, after)
    return replace(s, next_run_at=upcoming)
