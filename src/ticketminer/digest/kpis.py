"""The digest's headline numbers, read off the two weeks' metric sets.

Each KPI names the cohort its value is computed over, so its drill-down lists
exactly the tickets behind the number (FCR over solved tickets, response times over
responded ones, and so on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ticketminer.digest.movers import count_z, mean_z, proportion_z
from ticketminer.domain.digest import Better, Kpi
from ticketminer.domain.filters import Cohort, TicketFilter
from ticketminer.domain.metrics import DurationStats, MetricSet


def _p(stats: DurationStats, q: str) -> float | None:
    return stats.p50_seconds if q == "p50" else stats.p90_seconds


def kpis(
    current: MetricSet,
    previous: MetricSet,
    week: TicketFilter,
    duration_z: Mapping[str, float] | None = None,
) -> tuple[Kpi, ...]:
    """Volume, FCR, first response p50/p90 (and p50 in business hours under a tenant
    calendar), resolution p50/p90, reopen rate, CSAT.
    `duration_z` holds the tests of the time quantiles (by KPI name), which need the
    week's raw values; without one, a quantile's verdict falls back to its size."""
    duration_z = duration_z or {}

    def kpi(name, cur, prev, unit, better, n, cohort=Cohort.ALL, z=None) -> Kpi:
        score = None if z is None else abs(z)
        return Kpi(name, cur, prev, unit, better, n, replace(week, cohort=cohort), score)

    out = [
        kpi(
            "volume",
            current.volume,
            previous.volume,
            "tickets",
            Better.NEITHER,
            current.volume,
            z=count_z(current.volume, previous.volume),
        ),
        kpi(
            "fcr",
            current.fcr.value,
            previous.fcr.value,
            "ratio",
            Better.UP,
            current.fcr.denominator,
            Cohort.SOLVED,
            proportion_z(current.fcr, previous.fcr),
        ),
    ]
    for name, attr in (
        ("first_response", "first_response_time"),
        ("resolution", "resolution_time"),
    ):
        cur, prev = getattr(current, attr), getattr(previous, attr)
        cohort = Cohort.RESPONDED if name == "first_response" else Cohort.EVER_SOLVED
        for q in ("p50", "p90"):
            key = f"{name}_{q}"
            out.append(
                kpi(
                    key,
                    _p(cur, q),
                    _p(prev, q),
                    "seconds",
                    Better.DOWN,
                    cur.n,
                    cohort,
                    duration_z.get(key),
                )
            )
    business, business_before = (
        current.business_first_response_time,
        previous.business_first_response_time,
    )
    if business is not None and business_before is not None:  # the tenant has a calendar
        out.append(
            kpi(
                "business_first_response_p50",
                business.p50_seconds,
                business_before.p50_seconds,
                "seconds",
                Better.DOWN,
                business.n,
                Cohort.RESPONDED,
            )
        )
    out.append(
        kpi(
            "reopen_rate",
            current.reopen_rate.value,
            previous.reopen_rate.value,
            "ratio",
            Better.DOWN,
            current.reopen_rate.denominator,
            Cohort.EVER_SOLVED,
            proportion_z(current.reopen_rate, previous.reopen_rate),
        )
    )
    out.append(
        kpi(
            "csat",
            current.csat.mean,
            previous.csat.mean,
            "score",
            Better.UP,
            current.csat.n,
            Cohort.RATED,
            mean_z(current.csat, previous.csat),
        )
    )
    return tuple(out)
