"""Plain-text customer-insights report for terminals (the demo), rendered from the
wire message, so it shows exactly what an API client gets."""

from __future__ import annotations

from collections.abc import Iterable

from ticketminer.v1 import ticketminer_pb2 as pb


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def _drivers(title: str, hits: int, total: int, drivers: Iterable[pb.OutcomeDriver]) -> list[str]:
    lines = [f"{title}: {hits:,} of {total:,} tickets ({_pct(hits, total)})"]
    for rank, d in enumerate(drivers, start=1):
        what = f"issue {d.issue_id} '{d.label}'" if d.kind == "issue" else f"word '{d.term}'"
        lines.append(
            f"  {rank}. {what}: {d.with_outcome:,} of {d.tickets:,} ({d.rate:.1%}), "
            f"lift {d.lift:.1f}, p {d.p_value:.1g}; e.g. {', '.join(d.evidence_ticket_ids[:3])}"
        )
    return lines


def render_insights(found: pb.CustomerInsights) -> str:
    lines = [
        f"new customers ({found.new_customer_bucket}): {found.new_customer_tickets:,} of "
        f"{found.tickets_with_tenure:,} tickets with a customer_since "
        f"({_pct(found.new_customer_tickets, found.tickets_with_tenure)})"
    ]
    for rank, n in enumerate(found.new_customer_issues, start=1):
        first_response = n.new_customer_metrics.first_response_time.p50_seconds
        lines.append(
            f"  {rank}. issue {n.issue_id} '{n.label}': {n.new_customer_tickets:,} new / "
            f"{n.other_tickets:,} other customers' tickets, share {n.share_new:.1%} vs "
            f"{n.share_other:.1%}, lift {n.lift:.1f}, p {n.p_value:.1g}; FCR "
            f"{n.new_customer_metrics.fcr.value:.0%}, first response p50 "
            f"{first_response / 60:.0f} min"
        )
    lines += _drivers("praise", found.praise_tickets, found.tickets, found.praise)
    lines += _drivers("minefields", found.trouble_tickets, found.tickets, found.minefields)
    return "\n".join(lines)
