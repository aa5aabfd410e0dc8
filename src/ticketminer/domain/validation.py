"""Ticket validation: every problem is reported as a field violation, never raised
one at a time, so a caller can fix a request in one round trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ticketminer.domain import limits
from ticketminer.domain.api_keys import ALL_TENANTS
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.model import Ticket
from ticketminer.domain.timeutil import OUT_OF_RANGE, in_supported_range

DEFAULT_MAX_TEXT_BYTES = limits.MAX_TEXT_BYTES
MAX_ID_BYTES = limits.MAX_ID_BYTES


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits on one ticket; configurable because platforms differ."""

    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
    max_id_bytes: int = MAX_ID_BYTES
    max_messages: int = 1000
    max_attributes: int = 64
    max_tags: int = 64


def _check_text(field: str, value: str, limit: int, out: list[FieldViolation]) -> None:
    if len(value) * 4 <= limit and "\x00" not in value:
        return  # fast path: even all 4-byte characters would fit
    if "\x00" in value:
        out.append(FieldViolation(field, "must not contain a NUL byte"))
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > limit:
        out.append(FieldViolation(field, f"is {size} bytes; the limit is {limit} bytes"))


def tenant_violations(
    tenant_id: str, field: str = "tenant_id", max_bytes: int = MAX_ID_BYTES
) -> list[FieldViolation]:
    """What is wrong with a tenant id. "*" is refused: API keys use it for "every
    tenant", so a tenant of that name would make a one-tenant key an all-tenant one."""
    out: list[FieldViolation] = []
    if tenant_id == ALL_TENANTS:
        out.append(FieldViolation(field, f"{ALL_TENANTS!r} is reserved (all tenants)"))
    _check_text(field, tenant_id, max_bytes, out)
    return out


def check_tenant_id(tenant_id: str, field: str = "tenant_id") -> str:
    """The tenant id of a request, or InvalidArgument before any per-tenant work. Its
    size was checked with the rest of the request (api.request_limits)."""
    violations = tenant_violations(tenant_id, field, max_bytes=len(tenant_id) * 4 + 4)
    if violations:
        raise InvalidArgument(violations)
    return tenant_id


def _check_range(field: str, value: datetime | None, out: list[FieldViolation]) -> None:
    if value is not None and not in_supported_range(value):
        out.append(FieldViolation(field, OUT_OF_RANGE))


def _check_after_creation(
    field: str, value: datetime | None, created_at: datetime | None, out: list[FieldViolation]
) -> None:
    if value is not None and created_at is not None and value < created_at:
        out.append(FieldViolation(field, "must not be before created_at"))


def validate_ticket(ticket: Ticket, limits: Limits = Limits()) -> list[FieldViolation]:
    """Return every violation in `ticket`; an empty list means it may be stored."""
    out: list[FieldViolation] = []
    if not ticket.external_id:
        out.append(FieldViolation("external_id", "is required"))
    out += tenant_violations(ticket.tenant_id, max_bytes=limits.max_id_bytes)
    for name in ("external_id", "customer_id", "language"):
        _check_text(name, getattr(ticket, name), limits.max_id_bytes, out)
    if ticket.channel:
        _check_text("channel", ticket.channel, limits.max_id_bytes, out)
    for name in ("subject", "description"):
        _check_text(name, getattr(ticket, name), limits.max_text_bytes, out)
    if ticket.created_at is None:
        out.append(FieldViolation("created_at", "is required"))
    created = ticket.created_at
    for name in ("created_at", "updated_at", "solved_at", "first_solved_at", "customer_since"):
        _check_range(name, getattr(ticket, name), out)
    _check_after_creation("solved_at", ticket.solved_at, created, out)
    _check_after_creation("first_solved_at", ticket.first_solved_at, created, out)
    _check_after_creation("updated_at", ticket.updated_at, created, out)
    if (
        ticket.first_solved_at is not None
        and ticket.solved_at is not None
        and ticket.first_solved_at > ticket.solved_at
    ):
        out.append(FieldViolation("first_solved_at", "must not be after solved_at"))
    if ticket.csat is not None and not 1 <= ticket.csat <= 5:
        out.append(FieldViolation("csat", f"must be between 1 and 5, got {ticket.csat}"))
    if ticket.reopen_count < 0:
        out.append(FieldViolation("reopen_count", "must not be negative"))
    _validate_messages(ticket, limits, out)
    _validate_collections(ticket, limits, out)
    return out


def _validate_messages(ticket: Ticket, limits: Limits, out: list[FieldViolation]) -> None:
    if len(ticket.messages) > limits.max_messages:
        out.append(
            FieldViolation(
                "messages", f"has {len(ticket.messages)} items; the limit is {limits.max_messages}"
            )
        )
        return
    for i, msg in enumerate(ticket.messages):
        path = f"messages[{i}]"
        if msg.created_at is None:
            out.append(FieldViolation(f"{path}.created_at", "is required"))
        else:
            _check_range(f"{path}.created_at", msg.created_at, out)
            _check_after_creation(f"{path}.created_at", msg.created_at, ticket.created_at, out)
        _check_text(f"{path}.body", msg.body, limits.max_text_bytes, out)
        _check_text(f"{path}.external_id", msg.external_id, limits.max_id_bytes, out)
        _check_text(f"{path}.author_id", msg.author_id, limits.max_id_bytes, out)


def _validate_collections(ticket: Ticket, limits: Limits, out: list[FieldViolation]) -> None:
    if len(ticket.attributes) > limits.max_attributes:
        out.append(
            FieldViolation(
                "attributes",
                f"has {len(ticket.attributes)} keys; the limit is {limits.max_attributes}",
            )
        )
    for key, value in ticket.attributes.items():
        if not key:
            out.append(FieldViolation("attributes", "keys must not be empty"))
        _check_text(f"attributes[{key!r}].key", key, limits.max_id_bytes, out)
        _check_text(f"attributes[{key!r}]", value, limits.max_text_bytes, out)
    if len(ticket.tags) > limits.max_tags:
        out.append(
            FieldViolation("tags", f"has {len(ticket.tags)} items; the limit is {limits.max_tags}")
        )
    for i, tag in enumerate(ticket.tags):
        _check_text(f"tags[{i}]", tag, limits.max_id_bytes, out)
