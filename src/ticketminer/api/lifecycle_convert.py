"""GetCustomerInsights: the window in, the rankings out."""

from __future__ import annotations

from ticketminer.api.convert import (
    filter_to_proto,
    issue_id_to_proto,
    set_time,
    window_from_proto,
)
from ticketminer.api.metrics_convert import metric_set_to_proto
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.lifecycle import CustomerInsights, OutcomeDriver
from ticketminer.v1 import ticketminer_pb2 as pb


def insights_args(req: pb.GetCustomerInsightsRequest) -> tuple:
    violations: list[FieldViolation] = []
    window = window_from_proto(req, violations)
    if violations:
        raise InvalidArgument(violations)
    return window


def _driver(d: OutcomeDriver, out: pb.OutcomeDriver) -> None:
    out.kind, out.term, out.label = d.kind, d.term, d.label
    out.issue_id = issue_id_to_proto(d.issue_id)
    out.tickets, out.with_outcome = d.tickets, d.with_outcome
    out.rate, out.lift, out.z_score, out.p_value = d.rate, d.lift, d.zscore, d.pvalue
    out.q_value = d.qvalue
    out.evidence_ticket_ids.extend(d.evidence_ticket_ids)
    if d.drill_down is not None:
        filter_to_proto(d.drill_down, out.drill_down)


def insights_to_proto(found: CustomerInsights, out: pb.CustomerInsights) -> pb.CustomerInsights:
    """Fills `out` (a reply, or the digest's section) and returns it."""
    out.tickets, out.new_customer_bucket = found.tickets, found.new_bucket
    out.tickets_with_tenure = found.with_tenure
    out.new_customer_tickets = found.new_customer_tickets
    out.praise_tickets, out.trouble_tickets = found.praise_tickets, found.trouble_tickets
    set_time(out, "start_time", found.start)
    set_time(out, "end_time", found.end)
    for n in found.new_customer_issues:
        p = out.new_customer_issues.add(
            issue_id=issue_id_to_proto(n.issue_id),
            label=n.label,
            new_customer_tickets=n.new_tickets,
            other_tickets=n.other_tickets,
            share_new=n.share_new,
            share_other=n.share_other,
            lift=n.lift,
            z_score=n.zscore,
            p_value=n.pvalue,
            q_value=n.qvalue,
        )
        metric_set_to_proto(n.metrics_new, p.new_customer_metrics)
        p.evidence_ticket_ids.extend(n.evidence_ticket_ids)
        filter_to_proto(n.drill_down, p.drill_down)
    for d in found.praise:
        _driver(d, out.praise.add())
    for d in found.minefields:
        _driver(d, out.minefields.add())
    return out
