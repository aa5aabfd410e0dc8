"""What happens to each ticket after it is created, vectorised: first reply, replies
until the first solve, reopen, final solve, status at the scenario's end and CSAT.

Times are planned as whole seconds after creation (inf = never) and then observed at
the scenario's end, which is what leaves recent tickets new or open. The full path
renders messages at exactly these times, so the service measures what is planned here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ticketminer.domain.model import TicketStatus
from ticketminer.synth.attributes import CHANNELS
from ticketminer.synth.draws import categorical
from ticketminer.synth.topics import TOPICS

MINUTE = 60.0
HOUR = 3600.0
DAY = 86_400.0

# Per channel: median and log-sd of the first public agent reply (chat in minutes,
# e-mail in hours), and the median work from that reply to a one-touch solve.
FRT_MEDIAN_S = {
    "email": 4 * HOUR,
    "chat": 90.0,
    "web": 2.5 * HOUR,
    "phone": 45.0,
    "app": 12 * MINUTE,
}
FRT_SIGMA = {"email": 1.0, "chat": 0.9, "web": 1.0, "phone": 0.6, "app": 1.0}
WORK_MEDIAN_S = {
    "email": 3 * HOUR,
    "chat": 5 * MINUTE,
    "web": 2.5 * HOUR,
    "phone": 3 * MINUTE,
    "app": HOUR,
}
WORK_SIGMA = 0.9
STUCK_SHARE = 0.01  # never solved: waiting on a supplier, forgotten, ...
MAX_TOUCHES = 6
REOPEN_DELAY_S = 20 * HOUR
AUTO_CLOSE_S = 4 * DAY  # solved tickets close after this long
OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD)
OPEN_WEIGHTS = (0.55, 0.35, 0.10)
CSAT_RESPONSE_RATE = 0.35
CSAT_WEIGHTS = (0.04, 0.05, 0.11, 0.28, 0.52)  # scores 1..5 of a smooth ticket
PENALTY_HIT = 0.7  # chance that each bad experience costs a CSAT point

_FRT_MEDIAN = np.array([FRT_MEDIAN_S[c] for c in CHANNELS])
_FRT_SIGMA = np.array([FRT_SIGMA[c] for c in CHANNELS])
_WORK_MEDIAN = np.array([WORK_MEDIAN_S[c] for c in CHANNELS])
_ONE_TOUCH = np.array([t.one_touch for t in TOPICS])
_EFFORT = np.array([t.effort for t in TOPICS])
_REOPEN = np.array([t.reopen for t in TOPICS])


class Lifecycle(NamedTuple):
    """Per-ticket arrays. The `*_s` observations are NaN until they happen; the
    `planned_*_s` times are what would happen (inf = never) and may fall after the end."""

    first_response_s: np.ndarray  # float64: creation to the first public agent reply
    resolution_s: np.ndarray  # float64: creation to the first solve
    solved: np.ndarray  # bool: SOLVED or CLOSED at the end
    reopened: np.ndarray  # bool: reopened before the end
    fcr: np.ndarray  # bool: solved with one public agent reply and never reopened
    csat: np.ndarray  # int8: 1..5, 0 = no rating
    status: np.ndarray  # int8: TicketStatus
    touches: np.ndarray  # int8: public agent replies before the first solve
    planned_response_s: np.ndarray
    planned_solve_s: np.ndarray
    planned_reopen_s: np.ndarray
    planned_final_s: np.ndarray  # the last solve (the first one unless reopened)


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(len(median)))


def simulate(
    rng: np.random.Generator,
    *,
    created_us: np.ndarray,
    end_us: int,
    channel: np.ndarray,
    topic: np.ndarray,
    negative: np.ndarray,
    frt_factor: np.ndarray,
    one_touch_factor: np.ndarray,
) -> Lifecycle:
    """`frt_factor` and `one_touch_factor` carry KPI incidents (1 = unaffected)."""
    n = len(created_us)
    frt_median = _FRT_MEDIAN[channel]
    response = np.maximum(5.0, np.round(_lognormal(rng, frt_median, _FRT_SIGMA[channel])))
    response = np.round(response * frt_factor)

    one_touch = rng.random(n) < np.clip(_ONE_TOUCH[topic] * one_touch_factor, 0.0, 1.0)
    extra = np.minimum(rng.geometric(0.55, n), MAX_TOUCHES - 1)
    touches = np.where(one_touch, 1, 1 + extra).astype(np.int8)
    effort = _WORK_MEDIAN[channel] * _EFFORT[topic] * np.where(one_touch, 1.0, 1.5 * touches)
    solve = response + np.maximum(MINUTE, np.round(_lognormal(rng, effort, WORK_SIGMA)))
    solve[rng.random(n) < STUCK_SHARE] = np.inf

    will_reopen = (rng.random(n) < _REOPEN[topic]) & np.isfinite(solve)
    delay = np.maximum(10 * MINUTE, np.round(_lognormal(rng, np.full(n, REOPEN_DELAY_S), 0.8)))
    reopen_at = np.where(will_reopen, solve + delay, np.inf)
    rework = np.round(_lognormal(rng, frt_median + _WORK_MEDIAN[channel], WORK_SIGMA))
    final = np.where(will_reopen, reopen_at + np.maximum(MINUTE, rework), solve)

    age = (end_us - created_us) / 1e6
    responded = response <= age
    first_solved = solve <= age
    reopened = reopen_at <= age
    solved = first_solved & (final <= age)
    fcr = solved & (touches == 1) & ~reopened

    status = np.array(OPEN_STATUSES, dtype=np.int8)[categorical(rng, OPEN_WEIGHTS, n)]
    status[reopened & ~solved] = TicketStatus.OPEN
    status[~responded] = TicketStatus.NEW
    status[solved] = TicketStatus.SOLVED
    status[solved & (final <= age - AUTO_CLOSE_S)] = TicketStatus.CLOSED

    slow = (response > 3 * frt_median) | (solve > 3 * DAY)
    bad = reopened.astype(np.int64) + slow + 2 * negative + (touches >= 3)
    score = 1 + categorical(rng, CSAT_WEIGHTS, n).astype(np.int64)
    score = np.clip(score - rng.binomial(bad, PENALTY_HIT), 1, 5)
    rated = solved & (rng.random(n) < CSAT_RESPONSE_RATE)

    return Lifecycle(
        first_response_s=np.where(responded, response, np.nan),
        resolution_s=np.where(first_solved, solve, np.nan),
        solved=solved,
        reopened=reopened,
        fcr=fcr,
        csat=np.where(rated, score, 0).astype(np.int8),
        status=status,
        touches=touches,
        planned_response_s=response,
        planned_solve_s=solve,
        planned_reopen_s=reopen_at,
        planned_final_s=final,
    )


def praise_csat(
    rng: np.random.Generator, solved: np.ndarray, rated_share: float, five_share: float
) -> np.ndarray:
    """CSAT of tickets written to compliment (int8, 0 = no rating): such customers
    rate more often than others and high, `five_share` of the ratings 5, the rest 4."""
    n = len(solved)
    rated = solved & (rng.random(n) < rated_share)
    score = np.where(rng.random(n) < five_share, 5, 4)
    return np.where(rated, score, 0).astype(np.int8)
