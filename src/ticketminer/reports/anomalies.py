"""Plain-text anomaly report for terminals (the demo),
rendered from the wire messages, so it shows exactly what an API client gets."""

from __future__ import annotations

from collections.abc import Iterable

from ticketminer.domain.anomalies import lift_text
from ticketminer.v1 import ticketminer_pb2 as pb

EVIDENCE_SHOWN = 5


def _when(ts) -> str:
    return ts.ToDatetime().strftime("%Y-%m-%d %H:%M") if ts.seconds else "now"


def _dims(dims) -> str:
    return " ∧ ".join(f"{d.key}={d.value}" for d in dims)


def _value(metric: str, value: float) -> str:
    if metric == "volume":
        return f"{value:.0f}"
    if metric == "first_response_time":
        return f"{value / 3600:.1f} h"
    return f"{value:.0%}"


def render(anomalies: Iterable[pb.Anomaly]) -> str:
    lines: list[str] = []
    for a in anomalies:
        kind = pb.AnomalyKind.Name(a.kind).removeprefix("ANOMALY_KIND_")
        status = pb.AnomalyStatus.Name(a.status).removeprefix("ANOMALY_STATUS_")
        severity = pb.Severity.Name(a.severity).removeprefix("SEVERITY_")
        scope = f"issue {a.issue_id} '{a.issue_label}'" if a.issue_id else "tenant-wide"
        lines.append(f"#{a.anomaly_id} {kind} [{severity}, {status}] {scope}")
        lines.append(f"  {a.summary}")
        lines.append(
            f"  window {_when(a.start_time)} -> {_when(a.end_time)} UTC; "
            f"{a.metric}: observed {_value(a.metric, a.observed)} vs expected "
            f"{_value(a.metric, a.expected)}, "
            f"p={a.p_value:.2g}, {a.tickets} tickets"
        )
        for rank, rc in enumerate(a.root_causes[:3], start=1):
            lines.append(
                f"  cause {rank}: {_dims(rc.dimensions)} explains {rc.explained_share:.0%} "
                f"of the excess (observed {rc.observed:.0f} vs {rc.expected:.1f}, "
                f"lift {lift_text(rc.lift, rc.explained_share)}, support {rc.support:.0%})"
            )
        if a.terms:
            lines.append("  words: " + ", ".join(t.term for t in a.terms[:6]))
        if a.evidence_ticket_ids:
            shown = ", ".join(a.evidence_ticket_ids[:EVIDENCE_SHOWN])
            lines.append(f"  evidence: {shown} (ListTickets filter anomaly_id={a.anomaly_id})")
        lines.append("")
    return "\n".join(lines) if lines else "No anomalies.\n"
