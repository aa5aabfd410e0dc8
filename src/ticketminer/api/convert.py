"""Conversion between wire messages and domain objects. Conversion problems that
only exist on the wire (unknown enum numbers, unset timestamps) become field
violations here; everything else is validated by the domain."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import (
    Cohort,
    FcrVariant,
    GroupBy,
    TicketFilter,
)
from ticketminer.domain.issues import UNASSIGNED, IssueAssignment
from ticketminer.domain.model import (
    DEFAULT_TENANT,
    AuthorRole,
    IngestResult,
    Message,
    ReportedFacts,
    StoredTicket,
    Ticket,
    TicketAnalysis,
    TicketStatus,
)
from ticketminer.domain.timeutil import (
    OUT_OF_RANGE,
    from_us,
    in_supported_range,
    to_us,
    zone_or_none,
)
from ticketminer.domain.validation import check_tenant_id
from ticketminer.v1 import ticketminer_pb2 as pb

MIN_SECONDS = -62135596800  # 0001-01-01, the protobuf Timestamp range
MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59


def tenant_of(value: str, field: str = "tenant_id") -> str:
    """The request's tenant ("" is the default one), refused before any per-tenant work."""
    return check_tenant_id(value or DEFAULT_TENANT, field)


def timestamp_to_datetime(
    ts: Timestamp, field: str, violations: list[FieldViolation]
) -> datetime | None:
    if not MIN_SECONDS <= ts.seconds <= MAX_SECONDS or not 0 <= ts.nanos < 1_000_000_000:
        violations.append(FieldViolation(field, "is outside the valid Timestamp range"))
        return None
    value = from_us(ts.seconds * 1_000_000 + ts.nanos // 1000)
    if not in_supported_range(value):
        violations.append(FieldViolation(field, OUT_OF_RANGE))
        return None
    return value


def optional_time(
    holder, name: str, path: str, violations: list[FieldViolation]
) -> datetime | None:
    if not holder.HasField(name):
        return None
    return timestamp_to_datetime(getattr(holder, name), path, violations)


def datetime_to_timestamp(value: datetime, out: Timestamp) -> None:
    us = to_us(value)
    out.seconds, micros = divmod(us, 1_000_000)
    out.nanos = micros * 1000


def enum_value(enum_type, value: int, path: str, violations: list[FieldViolation]):
    try:
        return enum_type(value)
    except ValueError:
        violations.append(FieldViolation(path, f"unknown enum value {value}"))
        return enum_type(0)


def ticket_from_proto(msg: pb.Ticket) -> tuple[Ticket, list[FieldViolation]]:
    """The domain ticket and the wire-level violations met on the way. With
    violations, the ticket holds placeholders (None times, UNSPECIFIED enums) and
    must not be stored; missing required values are the domain's to report."""
    violations: list[FieldViolation] = []
    created = optional_time(msg, "created_at", "created_at", violations)
    messages: list[Message] = []
    for i, m in enumerate(msg.messages):
        path = f"messages[{i}]"
        m_created = optional_time(m, "created_at", f"{path}.created_at", violations)
        messages.append(
            Message(
                author_role=enum_value(
                    AuthorRole, m.author_role, f"{path}.author_role", violations
                ),
                created_at=m_created,  # type: ignore[arg-type]  # None only with a violation
                body=m.body,
                public=m.public,
                external_id=m.external_id,
                author_id=m.author_id,
            )
        )
    ticket = Ticket(
        tenant_id=msg.tenant_id or DEFAULT_TENANT,  # validated with the ticket
        external_id=msg.external_id,
        created_at=created,  # type: ignore[arg-type]
        updated_at=optional_time(msg, "updated_at", "updated_at", violations),
        channel=msg.channel,
        subject=msg.subject,
        description=msg.description,
        messages=messages,
        status=enum_value(TicketStatus, msg.status, "status", violations),
        solved_at=optional_time(msg, "solved_at", "solved_at", violations),
        first_solved_at=optional_time(msg, "first_solved_at", "first_solved_at", violations),
        reopen_count=msg.reopen_count,
        customer_id=msg.customer_id,
        customer_since=optional_time(msg, "customer_since", "customer_since", violations),
        attributes=dict(msg.attributes),
        tags=list(msg.tags),
        csat=msg.csat if msg.HasField("csat") else None,
        language=msg.language,
        reported=_reported_from_proto(msg.reported, violations),
    )
    return ticket, violations


def _reported_from_proto(msg: pb.ReportedFacts, violations: list[FieldViolation]) -> ReportedFacts:
    seconds = msg.first_response_seconds if msg.HasField("first_response_seconds") else None
    if seconds is not None and not (0.0 <= seconds < float("inf")):
        violations.append(
            FieldViolation("reported.first_response_seconds", "must be a finite number >= 0")
        )
        seconds = None
    replies = msg.public_agent_replies if msg.HasField("public_agent_replies") else None
    return ReportedFacts(public_agent_replies=replies, first_response_seconds=seconds)


def window_from_proto(req, violations: list[FieldViolation]) -> tuple:
    start = optional_time(req, "start_time", "start_time", violations)
    end = optional_time(req, "end_time", "end_time", violations)
    if start is not None and end is not None and end <= start:
        violations.append(FieldViolation("end_time", "must be after start_time"))
    return start, end


def set_time(out, name: str, value: datetime | None) -> None:
    if value is not None:
        datetime_to_timestamp(value, getattr(out, name))


def ticket_to_proto(ticket: Ticket, out: pb.Ticket) -> None:
    out.tenant_id = ticket.tenant_id
    out.external_id = ticket.external_id
    set_time(out, "created_at", ticket.created_at)
    set_time(out, "updated_at", ticket.updated_at)
    out.channel = ticket.channel
    out.subject = ticket.subject
    out.description = ticket.description
    for m in ticket.messages:
        pm = out.messages.add(
            external_id=m.external_id,
            author_role=int(m.author_role),
            body=m.body,
            public=m.public,
            author_id=m.author_id,
        )
        set_time(pm, "created_at", m.created_at)
    out.status = int(ticket.status)
    set_time(out, "solved_at", ticket.solved_at)
    set_time(out, "first_solved_at", ticket.first_solved_at)
    out.reopen_count = ticket.reopen_count
    out.customer_id = ticket.customer_id
    set_time(out, "customer_since", ticket.customer_since)
    out.attributes.update(ticket.attributes)
    out.tags.extend(ticket.tags)
    if ticket.csat is not None:
        out.csat = ticket.csat
    out.language = ticket.language
    if ticket.reported.public_agent_replies is not None:
        out.reported.public_agent_replies = ticket.reported.public_agent_replies
    if ticket.reported.first_response_seconds is not None:
        out.reported.first_response_seconds = ticket.reported.first_response_seconds


def analysis_to_proto(analysis: TicketAnalysis, out: pb.TicketAnalysis) -> None:
    for name in ("first_response_seconds", "resolution_seconds", "full_resolution_seconds"):
        value = getattr(analysis, name)
        if value is not None:
            setattr(out, name, value)
    out.public_agent_replies = analysis.public_agent_replies
    out.solved = analysis.solved
    out.ever_solved = analysis.ever_solved
    out.reopened = analysis.reopened
    if analysis.fcr is not None:
        out.fcr = analysis.fcr
    if analysis.fcr_no_followup is not None:
        out.fcr_no_followup = analysis.fcr_no_followup
    out.first_response_source = int(analysis.first_response_source)
    out.public_agent_replies_source = int(analysis.public_agent_replies_source)


def issue_id_to_proto(issue_id: int | None) -> str:
    """Issue ids are decimal strings on the wire; "" is no issue."""
    return str(issue_id) if issue_id else ""


def issue_id_from_proto(value: str, field: str) -> int:
    """A wire issue id: "" is UNASSIGNED (0), otherwise a positive decimal."""
    if value == "":
        return UNASSIGNED
    if not value.isascii() or not value.isdigit() or int(value) < 1 or len(value) > 9:
        raise InvalidArgument([FieldViolation(field, f"not an issue id: {value!r}")])
    return int(value)


def anomaly_id_from_proto(value: str, field: str) -> int:
    """A wire anomaly id: a positive decimal."""
    if not value.isascii() or not value.isdigit() or int(value) < 1 or len(value) > 18:
        raise InvalidArgument([FieldViolation(field, f"not an anomaly id: {value!r}")])
    return int(value)


def issue_ref_to_proto(issue: IssueAssignment, out: pb.IssueRef) -> None:
    out.issue_id = issue_id_to_proto(issue.issue_id)
    out.label = issue.label
    out.confidence = issue.confidence
    out.model_version = issue.model_version
    set_time(out, "assigned_at", issue.assigned_at)
    if issue.sub_issue_id:
        out.sub_issue_id = issue_id_to_proto(issue.sub_issue_id)
        out.sub_issue_label = issue.sub_issue_label


def ingest_result_to_proto(result: IngestResult) -> pb.IngestTicketResponse:
    out = pb.IngestTicketResponse(
        tenant_id=result.tenant_id, external_id=result.external_id, outcome=int(result.outcome)
    )
    analysis_to_proto(result.analysis, out.analysis)
    if result.issue is not None:
        out.issue_id = issue_id_to_proto(result.issue.issue_id)
        out.label = result.issue.label
        out.confidence = result.issue.confidence
        out.model_version = result.issue.model_version
        if result.issue.sub_issue_id:
            out.sub_issue_id = issue_id_to_proto(result.issue.sub_issue_id)
            out.sub_issue_label = result.issue.sub_issue_label
    return out


def stored_ticket_to_view(stored: StoredTicket, out) -> None:
    """Fill any message with `ticket`, `analysis` and `issue` (views and responses)."""
    ticket_to_proto(stored.ticket, out.ticket)
    analysis_to_proto(stored.analysis, out.analysis)
    if stored.issue is not None:
        issue_ref_to_proto(stored.issue, out.issue)
    out.messages_truncated = stored.messages_truncated


def filter_from_proto(msg: pb.TicketFilter, path: str = "filter") -> TicketFilter:
    violations: list[FieldViolation] = []
    start = optional_time(msg, "start_time", f"{path}.start_time", violations)
    end = optional_time(msg, "end_time", f"{path}.end_time", violations)
    if start is not None and end is not None and end <= start:
        violations.append(FieldViolation(f"{path}.end_time", "must be after start_time"))
    statuses = tuple(
        enum_value(TicketStatus, s, f"{path}.statuses[{i}]", violations)
        for i, s in enumerate(msg.statuses)
    )
    cohort = enum_value(Cohort, msg.cohort, f"{path}.cohort", violations)
    variant = enum_value(FcrVariant, msg.fcr_variant, f"{path}.fcr_variant", violations)
    issue_ids: list[int] = []
    for i, value in enumerate(msg.issue_ids):
        try:
            issue_ids.append(issue_id_from_proto(value, f"{path}.issue_ids[{i}]"))
        except InvalidArgument as exc:
            violations.extend(exc.violations)
    anomaly_id = None
    if msg.anomaly_id:
        try:
            anomaly_id = anomaly_id_from_proto(msg.anomaly_id, f"{path}.anomaly_id")
        except InvalidArgument as exc:
            violations.extend(exc.violations)
    if violations:
        raise InvalidArgument(violations)
    return TicketFilter(
        start_time=start,
        end_time=end,
        channels=tuple(msg.channels),
        attributes=tuple(sorted(msg.attributes.items())),
        statuses=statuses,
        customer_id=msg.customer_id,
        issue_ids=tuple(dict.fromkeys(issue_ids)),
        cohort=cohort,
        fcr_variant=variant,
        anomaly_id=anomaly_id,
        tenure_buckets=tuple(dict.fromkeys(msg.tenure_buckets)),
        tags=tuple(dict.fromkeys(msg.tags)),
    )


def filter_to_proto(flt: TicketFilter, out: pb.TicketFilter) -> None:
    set_time(out, "start_time", flt.start_time)
    set_time(out, "end_time", flt.end_time)
    out.channels.extend(flt.channels)
    out.attributes.update(dict(flt.attributes))
    out.statuses.extend(int(s) for s in flt.statuses)
    out.customer_id = flt.customer_id
    out.cohort = int(flt.cohort)
    out.fcr_variant = int(flt.fcr_variant)
    out.issue_ids.extend(issue_id_to_proto(i) for i in flt.issue_ids)
    if flt.anomaly_id is not None:
        out.anomaly_id = str(flt.anomaly_id)
    out.tenure_buckets.extend(flt.tenure_buckets)
    out.tags.extend(flt.tags)


def group_by_from_proto(value: str) -> GroupBy:
    if value in ("", "none"):
        return GroupBy("none")
    if value in ("channel", "status", "issue", "tenure", "tag"):
        return GroupBy(value)
    prefix = "attributes."
    if value.startswith(prefix) and len(value) > len(prefix):
        return GroupBy("attribute", value[len(prefix) :])
    raise InvalidArgument(
        [
            FieldViolation(
                "group_by",
                f"unknown grouping {value!r}: use channel, status, issue, tenure, tag or "
                "attributes.<key>",
            )
        ]
    )


def time_zone_from_proto(value: str) -> str:
    """A valid IANA name, or "" (the tenant's time zone: services resolve it)."""
    if not value:
        return ""
    if zone_or_none(value) is None:
        raise InvalidArgument([FieldViolation("time_zone", f"unknown IANA time zone {value!r}")])
    return value
