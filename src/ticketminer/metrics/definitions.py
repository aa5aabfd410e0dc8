"""The metric definitions echoed in every metrics response (DESIGN.md §3).

They describe what `ticket_facts.analyse` and `aggregate` compute; change them together.
"""

from __future__ import annotations

from ticketminer.domain.filters import FcrVariant
from ticketminer.domain.metrics import MetricDefinition

_TIMES = (
    "Reported as mean, p50 and p90 (linear interpolation) over the n tickets that have "
    "a value, in seconds."
)
_FCR = {
    FcrVariant.ONE_TOUCH: (
        "one_touch",
        "Share of solved or closed tickets with at most one public agent reply and a "
        "reopen_count of 0. Denominator: tickets whose status is SOLVED or CLOSED.",
    ),
    FcrVariant.NO_CUSTOMER_FOLLOWUP: (
        "no_customer_followup",
        "Share of solved or closed tickets where the customer wrote no message after the "
        "first public agent reply, and with a reopen_count of 0. Denominator: tickets "
        "whose status is SOLVED or CLOSED.",
    ),
}


def effective_variant(variant: FcrVariant) -> FcrVariant:
    return FcrVariant.ONE_TOUCH if variant == FcrVariant.DEFAULT else variant


def definitions(variant: FcrVariant) -> list[MetricDefinition]:
    fcr_name, fcr_text = _FCR[effective_variant(variant)]
    return [
        MetricDefinition(
            "volume",
            "created_in_window",
            "Tickets whose created_at falls in [start_time, end_time) and that match the "
            "filter; every other metric is computed over these tickets.",
        ),
        MetricDefinition("fcr", fcr_name, fcr_text),
        MetricDefinition(
            "first_response_time",
            "first_public_human_agent_reply",
            "created_at to the first public message by an AGENT; BOT, SYSTEM and private "
            "messages do not count. Tickets without such a reply have no value. " + _TIMES,
        ),
        MetricDefinition(
            "resolution_time",
            "first_solve",
            "created_at to the first solve (first_solved_at, else solved_at). " + _TIMES,
        ),
        MetricDefinition(
            "full_resolution_time",
            "last_solve",
            "created_at to solved_at, the last solve, for tickets now SOLVED or CLOSED. " + _TIMES,
        ),
        MetricDefinition(
            "reopen_rate",
            "reopened_of_ever_solved",
            "Share of tickets that were ever solved and have reopen_count > 0.",
        ),
        MetricDefinition(
            "csat",
            "mean_1_to_5",
            "Mean of the 1-5 ratings given; satisfied_share is the share of 4 and 5.",
        ),
        MetricDefinition(
            "calendar",
            "calendar_time",
            "All durations are calendar time; business-hours values need a tenant "
            "calendar, which is not configured.",
        ),
    ]
