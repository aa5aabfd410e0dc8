"""A drill-down filter as the JSON a reader pastes into `grpcurl ... ListTickets`.

Written by hand rather than through protobuf's json_format so the digest package
does not depend on the gRPC layer; the field and enum names follow
protos/ticketminer/v1/ticketminer.proto (TicketFilter), and defaults are left out
exactly as the proto3 JSON mapping leaves them out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ticketminer.domain.filters import Cohort, FcrVariant, TicketFilter


def rfc3339(moment: datetime) -> str:
    """UTC with a "Z" and only as many fraction digits as needed (0, 3 or 6)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        fraction = f"{moment.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    return text + "Z"


def filter_dict(flt: TicketFilter) -> dict[str, Any]:
    """The filter as a JSON object in proto field order, defaults omitted."""
    out: dict[str, Any] = {}
    if flt.start_time is not None:
        out["start_time"] = rfc3339(flt.start_time)
    if flt.end_time is not None:
        out["end_time"] = rfc3339(flt.end_time)
    if flt.channels:
        out["channels"] = list(flt.channels)
    if flt.attributes:
        out["attributes"] = dict(sorted(flt.attributes))
    if flt.statuses:
        out["statuses"] = [f"TICKET_STATUS_{s.name}" for s in flt.statuses]
    if flt.customer_id:
        out["customer_id"] = flt.customer_id
    if flt.cohort != Cohort.ALL:
        out["cohort"] = f"COHORT_{flt.cohort.name}"
    if flt.fcr_variant != FcrVariant.DEFAULT:
        out["fcr_variant"] = f"FCR_VARIANT_{flt.fcr_variant.name}"
    if flt.issue_ids:
        # The wire spells UNASSIGNED (0) as "", the candidate pool.
        out["issue_ids"] = [str(i) if i else "" for i in flt.issue_ids]
    if flt.anomaly_id is not None:
        out["anomaly_id"] = str(flt.anomaly_id)
    if flt.tenure_buckets:
        out["tenure_buckets"] = list(flt.tenure_buckets)
    if flt.tags:
        out["tags"] = list(flt.tags)
    return out


def filter_json(flt: TicketFilter) -> str:
    """One line, no spaces, non-ASCII kept readable ("华南", not "\\u534e\\u5357")."""
    return json.dumps(filter_dict(flt), ensure_ascii=False, separators=(",", ":"))
