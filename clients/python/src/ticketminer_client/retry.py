"""Retries of calls that failed with a transient code, with jittered exponential backoff,
all within one deadline for the whole call."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import grpc


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Up to `max_attempts` tries; before try n+1 a random pause of up to
    min(max_backoff, initial_backoff * multiplier**n) seconds ("full jitter", so
    many clients coming back from one outage do not retry in step).

    Only UNAVAILABLE is retried by default: the server sends it for a lost connection
    and an unreachable database, and every ticketminer write is idempotent."""

    max_attempts: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0
    retryable: frozenset[grpc.StatusCode] = frozenset((grpc.StatusCode.UNAVAILABLE,))

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("backoffs must be >= 0 and the multiplier >= 1")

    def pause(self, retry: int) -> float:
        """The pause before retry number `retry` (0 for the first retry)."""
        return random.uniform(
            0, min(self.max_backoff, self.initial_backoff * self.multiplier**retry)
        )


NO_RETRY = RetryPolicy(max_attempts=1)

T = TypeVar("T")


def call_with_retry(
    attempt: Callable[[float | None], T],
    policy: RetryPolicy,
    timeout: float | None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """attempt(seconds left, or None without a deadline), retried by `policy`; the last
    grpc.RpcError propagates. No pause outlasts the deadline."""
    deadline = None if timeout is None else clock() + timeout
    for retry in range(policy.max_attempts):
        left = None if deadline is None else max(0.0, deadline - clock())
        try:
            return attempt(left)
        except grpc.RpcError as err:
            code = err.code() if isinstance(err, grpc.Call) else None
            if code not in policy.retryable or retry + 1 == policy.max_attempts:
                raise
            pause = policy.pause(retry)
            if deadline is not None and clock() + pause >= deadline:
                raise
            sleep(pause)
    raise AssertionError("unreachable: the last attempt returns or raises")
