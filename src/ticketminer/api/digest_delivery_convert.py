"""Digest schedules and deliveries between the wire and the domain.

Only wire-level problems (unknown enum numbers, a malformed "HH:MM") are reported
here; the domain checks what the values mean. Going out, a schedule's webhook URL
is masked and its secret never leaves: only has_secret says one is stored.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from ticketminer.api.convert import enum_value, set_time, tenant_of
from ticketminer.api.digest_convert import digest_to_proto
from ticketminer.domain.business_hours import parse_clock
from ticketminer.domain.digest import WeeklyDigest
from ticketminer.domain.digest_delivery import Channel, DigestDelivery, DigestSchedule
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.services.digest_delivery import DeliveryPage
from ticketminer.v1 import ticketminer_pb2 as pb

_PATH = "schedule"


def schedule_from_proto(msg: pb.DigestSchedule) -> DigestSchedule:
    violations: list[FieldViolation] = []
    channel = enum_value(Channel, msg.channel, f"{_PATH}.channel", violations)
    try:
        minute = parse_clock(msg.local_time)
    except ValueError:
        minute = -1  # the domain names it, beside every other bad field
    if violations:
        raise InvalidArgument(violations)
    return DigestSchedule(
        tenant_id=tenant_of(msg.tenant_id, f"{_PATH}.tenant_id"),
        schedule_id=msg.schedule_id,
        weekday=int(msg.weekday),
        local_minute=minute,
        time_zone=msg.time_zone,
        channel=channel,
        recipients=tuple(msg.recipients),
        webhook_url=msg.webhook_url,
        secret=msg.secret,
        paused=msg.paused,
    )


def schedule_to_proto(s: DigestSchedule, out: pb.DigestSchedule | None = None) -> pb.DigestSchedule:
    out = pb.DigestSchedule() if out is None else out
    out.tenant_id, out.schedule_id = s.tenant_id, s.schedule_id
    out.weekday, out.local_time, out.time_zone = s.weekday, s.local_time, s.time_zone
    out.channel = int(s.channel)
    out.recipients.extend(s.recipients)
    out.webhook_url = s.masked_url
    out.paused, out.has_secret = s.paused, s.has_secret
    set_time(out, "next_run_at", s.next_run_at)
    set_time(out, "updated_at", s.updated_at)
    return out


def schedules_to_proto(found: list[DigestSchedule]) -> pb.ListDigestSchedulesResponse:
    out = pb.ListDigestSchedulesResponse()
    for s in found:
        schedule_to_proto(s, out.schedules.add())
    return out


def delivery_to_proto(d: DigestDelivery, out: pb.DigestDelivery) -> None:
    out.tenant_id, out.schedule_id, out.iso_week = d.tenant_id, d.schedule_id, d.iso_week
    out.channel, out.status = int(d.channel), int(d.status)
    out.attempts, out.last_error = d.attempts, d.last_error
    set_time(out, "due_at", d.due_at)
    set_time(out, "sent_at", d.sent_at)
    set_time(out, "next_attempt_at", d.next_attempt_at)


def deliveries_to_proto(page: DeliveryPage) -> pb.ListDigestDeliveriesResponse:
    out = pb.ListDigestDeliveriesResponse(next_page_token=page.next_page_token)
    for d in page.deliveries:
        delivery_to_proto(d, out.deliveries.add())
    return out


def digest_json(digest: WeeklyDigest) -> dict[str, Any]:
    """The WeeklyDigest message in proto3's canonical JSON mapping (what the generic
    webhook posts)."""
    out = pb.WeeklyDigest()
    digest_to_proto(digest, out)
    return json_format.MessageToDict(out)
