"""The metric definitions echoed in every metrics response (DESIGN.md §3).

They describe what `ticket_facts.analyse` and `aggregate` compute; change them together.
"""

from __future__ import annotations

from ticketminer.domain.business_hours import BusinessCalendar
from ticketminer.domain.filters import FcrVariant
from ticketminer.domain.metrics import MetricDefinition
from ticketminer.text.sentiment import NEGATIVE_THRESHOLD
from ticketminer.text.support_signals import COMPLAINT_CEILING

_TIMES = (
    "Reported as mean, p50 and p90 (linear interpolation) over the n tickets that have "
    "a value, in seconds."
)
_FCR = {
    FcrVariant.ONE_TOUCH: (
        "one_touch",
        "Share of solved or closed tickets with exactly one public agent reply and a "
        "reopen_count of 0 (a ticket solved with no reply is not FCR). Replies come from "
        "the thread, or from the export's reply count when the ticket has no agent "
        "messages. Denominator: tickets whose status is SOLVED or CLOSED.",
    ),
    FcrVariant.NO_CUSTOMER_FOLLOWUP: (
        "no_customer_followup",
        "Share of solved or closed tickets with a public agent reply after which the "
        "customer wrote no message, and with a reopen_count of 0. Denominator: tickets "
        "whose status is SOLVED or CLOSED.",
    ),
}


def effective_variant(variant: FcrVariant) -> FcrVariant:
    return FcrVariant.ONE_TOUCH if variant == FcrVariant.DEFAULT else variant


def definitions(
    variant: FcrVariant, calendar: BusinessCalendar | None = None, zone: str = "UTC"
) -> list[MetricDefinition]:
    """`calendar` and its time `zone` add the business-hours definitions."""
    fcr_name, fcr_text = _FCR[effective_variant(variant)]
    return [
        MetricDefinition(
            "volume",
            "created_in_window",
            "Tickets whose created_at falls in [start_time, end_time) and that match the "
            "filter (a tags filter matches a ticket with ANY of the listed tags); every "
            "other metric is computed over these tickets. Grouped by tag, a ticket counts "
            "once in the group of each of its tags, so group volumes can add up to more "
            'than the total; untagged tickets form the group "".',
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
            "sentiment",
            "stored_scores_support_register",
            "sentiment_mean: mean sentiment (-1 to 1) of what the customer wrote (subject, "
            "description, first messages), by a Chinese model trained on review sentences "
            "and VADER for English, with politeness words neutral and any complaint signal "
            f"capping the score at {COMPLAINT_CEILING}. negative_share: share of the scored "
            f"tickets below {NEGATIVE_THRESHOLD}. Both count only tickets with a stored "
            "score (sentiment_scored of them): an anomaly scan scores the tickets of its "
            "history window; tickets created or changed since the last scan, or older, "
            "are left out, not counted as neutral. Unset when no ticket has a score.",
        ),
        *_hours(calendar, zone),
    ]


def _hours(calendar: BusinessCalendar | None, zone: str) -> list[MetricDefinition]:
    """How durations are clocked: calendar time, plus business hours under a calendar."""
    if calendar is None:
        return [
            MetricDefinition(
                "calendar",
                "calendar_time",
                "All durations are calendar time; business-hours values need a tenant "
                "calendar, which is not configured.",
            )
        ]
    hours = (
        f"the tenant's business hours ({calendar.describe()}; wall-clock time in {zone}, "
        "holidays closed all day)"
    )
    out = [
        MetricDefinition(
            "calendar",
            "calendar_and_business_hours",
            "Durations are given in calendar time and, in the business_* values, counted "
            f"only while {hours} are open.",
        )
    ]
    for name in ("first_response_time", "resolution_time", "full_resolution_time"):
        out.append(
            MetricDefinition(
                f"business_{name}",
                "business_hours",
                f"The tickets and end instants of {name}, counting only the seconds in "
                f"which {hours} are open: a day that springs forward loses the skipped "
                "hour, one that falls back counts a repeated open hour twice. " + _TIMES,
            )
        )
    return out
