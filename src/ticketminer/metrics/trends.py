"""Volume trends at the end of a window: week over week, a 4-week slope and the share.

One bincount over (group, day) cells gives every group's 28 daily counts at once, so
trends for hundreds of issues or attribute values cost one pass over the rows.
"""

from __future__ import annotations

import numpy as np

from ticketminer.domain.metrics import VolumeTrend

DAY_US = 86_400 * 1_000_000
DAYS = 28

_X = np.arange(DAYS, dtype=float) - (DAYS - 1) / 2
_X_VAR = float(np.sum(_X**2))


def daily_counts(created_us: np.ndarray, groups: np.ndarray, n_groups: int, end_us: int):
    """Counts per group over the DAYS 24-hour slices before end_us, oldest first."""
    age_days = (end_us - 1 - created_us) // DAY_US
    keep = (created_us < end_us) & (age_days < DAYS) & (groups >= 0)
    day = DAYS - 1 - age_days[keep]
    cells = groups[keep].astype(np.int64) * DAYS + day
    return np.bincount(cells, minlength=n_groups * DAYS).reshape(n_groups, DAYS)


def volume_trends(
    created_us: np.ndarray, groups: np.ndarray, n_groups: int, end_us: int, tenant_7d: int
) -> list[VolumeTrend]:
    """Trends of each group; `tenant_7d` is the tenant's volume in the last 7 days."""
    counts = daily_counts(created_us, groups, n_groups, end_us)
    last = counts[:, -7:].sum(axis=1)
    previous = counts[:, -14:-7].sum(axis=1)
    total = counts.sum(axis=1)
    slope = (counts - counts.mean(axis=1, keepdims=True)) @ _X / _X_VAR * 7
    return [
        VolumeTrend(
            last_7d=int(last[g]),
            previous_7d=int(previous[g]),
            last_28d=int(total[g]),
            slope_4w=float(slope[g]),
            share_7d=float(last[g] / tenant_7d) if tenant_7d else 0.0,
        )
        for g in range(n_groups)
    ]


def tenant_volume_7d(created_us: np.ndarray, end_us: int) -> int:
    return int(np.count_nonzero((created_us < end_us) & (created_us >= end_us - 7 * DAY_US)))
