"""Tenant settings between the wire and the domain.

Only wire-level problems (unknown enum numbers, malformed "HH:MM" or dates) are
reported here; the service checks what the values mean.
"""

from __future__ import annotations

from ticketminer.api.convert import enum_value, set_time, tenant_of
from ticketminer.domain.business_hours import (
    WEEKDAYS,
    BusinessCalendar,
    OpeningHours,
    format_clock,
    parse_clock,
    parse_date,
)
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import FcrVariant
from ticketminer.domain.tenant_settings import IssueGranularity, TenantSettings
from ticketminer.domain.tenure import TenureBuckets
from ticketminer.v1 import ticketminer_pb2 as pb

_PATH = "settings"


def update_from_proto(
    req: pb.UpdateTenantSettingsRequest,
) -> tuple[TenantSettings, tuple[str, ...]]:
    """(the settings sent, the mask's paths); the service checks both."""
    sent = req.settings
    violations: list[FieldViolation] = []
    variant = enum_value(FcrVariant, sent.fcr_variant, f"{_PATH}.fcr_variant", violations)
    granularity = enum_value(
        IssueGranularity, sent.issue_granularity, f"{_PATH}.issue_granularity", violations
    )
    calendar = None
    if sent.HasField("business_hours"):
        calendar = _calendar(sent.business_hours, f"{_PATH}.business_hours", violations)
    if violations:
        raise InvalidArgument(violations)
    settings = TenantSettings(
        tenant_of(sent.tenant_id, f"{_PATH}.tenant_id"),
        tuple(sent.tenure_edges_days),
        time_zone=sent.time_zone,
        fcr_variant=variant,
        business_hours=calendar,
        issue_granularity=granularity,
        retention_days=sent.retention_days,
    )
    return settings, tuple(dict.fromkeys(req.update_mask.paths))


def _calendar(
    msg: pb.BusinessHours, path: str, violations: list[FieldViolation]
) -> BusinessCalendar:
    hours = []
    for i, h in enumerate(msg.hours):
        where = f"{path}.hours[{i}]"
        unknown = [d for d in h.weekdays if d not in WEEKDAYS]
        if unknown:
            violations.append(
                FieldViolation(
                    f"{where}.weekdays",
                    f"must be WEEKDAY_MONDAY to WEEKDAY_SUNDAY, got {unknown[0]}",
                )
            )
        days = tuple(dict.fromkeys(int(d) for d in h.weekdays if d in WEEKDAYS))
        opens = _parsed(parse_clock, h.open, f"{where}.open", violations)
        closes = _parsed(parse_clock, h.close, f"{where}.close", violations)
        hours.append(OpeningHours(days, opens or 0, closes or 0))
    holidays = [
        _parsed(parse_date, d, f"{path}.holidays[{i}]", violations)
        for i, d in enumerate(msg.holidays)
    ]
    return BusinessCalendar(tuple(hours), tuple(sorted({d for d in holidays if d is not None})))


def _parsed(parse, text: str, path: str, violations: list[FieldViolation]):
    try:
        return parse(text)
    except ValueError as exc:
        violations.append(FieldViolation(path, str(exc)))
        return None


def settings_to_proto(settings: TenantSettings, tenure: TenureBuckets) -> pb.TenantSettings:
    """`tenure` is the buckets in effect (the tenant's, else the server's)."""
    out = pb.TenantSettings(
        tenant_id=settings.tenant_id,
        tenure_edges_days=settings.tenure_edges_days,
        tenure_buckets=tenure.names,
        time_zone=settings.time_zone,
        fcr_variant=int(settings.fcr_variant),
        issue_granularity=int(settings.issue_granularity),
        retention_days=settings.retention_days,
    )
    set_time(out, "updated_at", settings.updated_at)
    calendar = settings.business_hours
    if calendar is not None:
        out.business_hours.holidays.extend(d.isoformat() for d in calendar.holidays)
        for h in calendar.hours:
            out.business_hours.hours.add(
                weekdays=h.weekdays,
                open=format_clock(h.open_minute),
                close=format_clock(h.close_minute),
            )
    return out
