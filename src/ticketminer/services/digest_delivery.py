"""Scheduled digest delivery: schedules in, each week's digest out, exactly once in
all but one narrow case.

How a week is sent, and why it is not sent twice:

1. A schedule is due when its next_run has come. The week's delivery row is
   INSERTed, PENDING, in a transaction of its own. The unique key (tenant, schedule,
   week) lets exactly one INSERT succeed, whichever replica or restart tries; the
   others find the row and move on. Only once the row exists does next_run advance
   (a compare-and-set, so two replicas cannot skip a week between them).
2. An attempt is claimed by a compare-and-set on the row (attempts + 1, and
   next_attempt pushed a lease ahead), so two replicas that both see the row waiting
   cannot both send it. The claimer renders the digest, sends it, and marks the row
   SENT (or records the failure and the next attempt) at once.
3. The one window: a process that dies after the receiver accepted the digest but
   before its SENT commit leaves the row PENDING; when the lease runs out the send is
   tried again, and that receiver gets the week twice. The window is one UPDATE long
   (no work sits between the send and the mark). Closing it would take the receiver's
   help (an idempotency key), which mail and chat webhooks do not offer; the generic
   webhook's body carries tenant, schedule and week for receivers that deduplicate.

Failures are retried with exponential backoff (digest_retry_seconds, times
digest_retry_factor per attempt) until digest_max_attempts, then the row is FAILED;
failures a retry cannot fix (HTTP 4xx, SMTP 5xx, a bad signature) fail at once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from ticketminer.deliverers import DeliveryError, DigestMessage, Outbox
from ticketminer.domain.digest import WeeklyDigest
from ticketminer.domain.digest_delivery import (
    MASK,
    SIGNED_CHANNELS,
    Channel,
    DeliveryStatus,
    DigestDelivery,
    DigestSchedule,
    check_schedule,
    last_run,
    next_run,
    week_of_run,
    with_next_run,
)
from ticketminer.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from ticketminer.domain.filters import FcrVariant
from ticketminer.domain.tenant_settings import SettingsOf, no_settings
from ticketminer.domain.timeutil import to_us, utc_now
from ticketminer.services.digest import DigestFormat, DigestService
from ticketminer.services.page_tokens import decode_token, encode_token, query_fingerprint
from ticketminer.services.tenant_locks import TenantJobs
from ticketminer.services.tenant_loop import TenantLoop
from ticketminer.store import digest_schedules_repo as repo
from ticketminer.store.job_locks import JobLocks

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_SCHEDULES = 100  # per tenant
MIN_LEASE_SECONDS = 600.0
JOB = "digest-delivery"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    first_delay_seconds: float = 60.0
    factor: float = 5.0
    max_attempts: int = 5

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failure: 1 min, 5 min, 25 min, ..."""
        return timedelta(seconds=self.first_delay_seconds * self.factor ** (attempts - 1))


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    deliveries: list[DigestDelivery]
    next_page_token: str


class DigestDeliveryService:
    def __init__(
        self,
        engine: Engine,
        digest: DigestService,
        outbox: Outbox,
        digest_json: Callable[[WeeklyDigest], dict[str, Any]],
        *,
        settings: SettingsOf = no_settings,
        policy: RetryPolicy = RetryPolicy(),
        clock: Callable[[], datetime] = utc_now,
        exclusive: bool = True,
    ) -> None:
        self._engine = engine
        self._digest = digest
        self._outbox = outbox
        self._digest_json = digest_json
        self._settings = settings
        self._policy = policy
        self._clock = clock
        # Across replicas, one sender per tenant at a time (saves rendering twice);
        # correctness does not rest on it: the row's unique key and CAS claims do that.
        self._jobs = TenantJobs(JOB, JobLocks(engine)) if exclusive else None
        self._lease = timedelta(seconds=max(MIN_LEASE_SECONDS, 4 * outbox.timeout_seconds))

    # --- schedules -------------------------------------------------------------

    def put(self, sent: DigestSchedule) -> DigestSchedule:
        """Create or replace. A webhook_url sent back as read (masked) keeps the stored
        URL, and an empty secret keeps the stored one while the channel and URL stay,
        so a read-modify-write (pausing, say) loses neither."""
        check_schedule(sent)
        if sent.channel == Channel.EMAIL and self._outbox.smtp is None:
            raise FailedPrecondition("e-mail schedules need the server's --smtp-url")
        now = self._clock()
        with self._engine.begin() as conn:
            stored = repo.load_schedule(conn, sent.tenant_id, sent.schedule_id)
            if stored is None and len(repo.list_schedules(conn, sent.tenant_id)) >= MAX_SCHEDULES:
                raise FailedPrecondition(f"a tenant has at most {MAX_SCHEDULES} schedules")
            schedule = _merged(sent, stored)
            schedule = with_next_run(schedule, self._zone(schedule), now)
            schedule = replace(schedule, updated_at=now)
            repo.save_schedule(conn, schedule, to_us(now))
        return schedule

    def list(self, tenant_id: str) -> list[DigestSchedule]:
        with self._engine.connect() as conn:
            return repo.list_schedules(conn, tenant_id)

    def delete(self, tenant_id: str, schedule_id: str) -> bool:
        """The schedule goes; its delivery log stays (a waiting retry then fails)."""
        with self._engine.begin() as conn:
            return repo.delete_schedule(conn, tenant_id, schedule_id)

    def deliveries(
        self, tenant_id: str, schedule_id: str = "", page_size: int = 0, page_token: str = ""
    ) -> DeliveryPage:
        """The delivery log, newest due first."""
        if not 0 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidArgument(
                [FieldViolation("page_size", f"must be between 1 and {MAX_PAGE_SIZE}")]
            )
        size = page_size or DEFAULT_PAGE_SIZE
        fingerprint = query_fingerprint("digest-deliveries", tenant_id, schedule_id)
        after = decode_token(page_token, fingerprint) if page_token else None
        with self._engine.connect() as conn:
            rows = repo.list_deliveries(conn, tenant_id, schedule_id, after, size + 1)
        page, more = list(rows[:size]), len(rows) > size
        token = ""
        if more:
            token = encode_token(to_us(page[-1].due_at), page[-1].delivery_id, fingerprint)
        return DeliveryPage(page, token)

    # --- the background work ---------------------------------------------------

    def tenants_with_work(self) -> list[str]:
        with self._engine.connect() as conn:
            return repo.tenants_with_work(conn, to_us(self._clock()))

    def run_tenant(self, tenant_id: str) -> int | None:
        """Make the tenant's due weeks and attempt its waiting sends; the number sent,
        or None when another replica is on the tenant."""
        with self._exclusive(tenant_id) as mine:
            if not mine:
                return None
            now = self._clock()
            with self._engine.connect() as conn:
                due = repo.due_schedules(conn, tenant_id, to_us(now))
            for schedule in due:
                self._make_due(schedule, now)
            with self._engine.connect() as conn:
                waiting = repo.waiting_deliveries(conn, tenant_id, to_us(now))
            return sum(self._attempt(d) for d in waiting)

    @contextlib.contextmanager
    def _exclusive(self, tenant_id: str) -> Iterator[bool]:
        if self._jobs is None:
            yield True
            return
        with self._jobs.run(tenant_id, wait=False) as mine:
            yield mine

    def _zone(self, s: DigestSchedule) -> str:
        return s.time_zone or self._settings(s.tenant_id).zone

    def _make_due(self, s: DigestSchedule, now: datetime) -> None:
        """Create the week's row (if nobody has), then move next_run on."""
        assert s.next_run_at is not None  # due schedules have one
        zone = self._zone(s)
        # After downtime, the latest run that has come, not a stale one.
        run_at = max(last_run(s.weekday, s.local_minute, zone, now), s.next_run_at)
        week = week_of_run(run_at, zone)
        row = DigestDelivery(
            s.tenant_id, s.schedule_id, week, s.channel, DeliveryStatus.PENDING, 0, "", run_at,
            next_attempt_at=now,
        )  # fmt: skip
        try:
            with self._engine.begin() as conn:
                repo.insert_delivery(conn, row)
            log.info({"event": "digest_due", **_where(s.tenant_id, s.schedule_id, week)})
        except IntegrityError:
            pass  # the week's row exists: someone else made it (or an earlier run did)
        upcoming = next_run(s.weekday, s.local_minute, zone, max(now, run_at))
        with self._engine.begin() as conn:
            repo.advance_schedule(
                conn, s.tenant_id, s.schedule_id, to_us(s.next_run_at), to_us(upcoming)
            )

    def _attempt(self, d: DigestDelivery) -> bool:
        """One claimed attempt of a waiting delivery; True when it was sent."""
        with self._engine.connect() as conn:
            s = repo.load_schedule(conn, d.tenant_id, d.schedule_id)
        if s is not None and s.paused:
            return False  # a paused schedule sends nothing; the week waits
        lease = self._clock() + self._lease
        with self._engine.begin() as conn:
            if not repo.claim_attempt(conn, d, s.channel if s else d.channel, to_us(lease)):
                return False  # another replica took this attempt
        attempt = d.attempts + 1
        where = {**_where(d.tenant_id, d.schedule_id, d.iso_week), "attempt": attempt}
        try:
            if s is None:
                raise DeliveryError("the schedule was deleted", retryable=False)
            deliverer = self._outbox.deliverer_for(s)
            message = self._message(s, d.iso_week)
            deliverer.send(message)
        except DeliveryError as exc:
            self._failed(d, attempt, str(exc), exc.retryable, where)
            return False
        except Exception as exc:  # e.g. rendering broke (the database?): try again later
            log.exception({"event": "digest_attempt_broke", **where})
            self._failed(d, attempt, f"internal error: {type(exc).__name__}", True, where)
            return False
        # Nothing between the send and this mark: it is the one window (module doc).
        with self._engine.begin() as conn:
            repo.finish_attempt(
                conn, d.delivery_id, attempt, DeliveryStatus.SENT, sent_us=to_us(self._clock())
            )
        log.info({"event": "digest_sent", "channel": s.channel.name.lower(), **where})
        return True

    def _failed(
        self, d: DigestDelivery, attempt: int, error: str, retryable: bool, where: dict
    ) -> None:
        again = retryable and attempt < self._policy.max_attempts
        next_at = self._clock() + self._policy.delay(attempt) if again else None
        with self._engine.begin() as conn:
            repo.finish_attempt(
                conn,
                d.delivery_id,
                attempt,
                DeliveryStatus.PENDING if again else DeliveryStatus.FAILED,
                error=error,
                next_attempt_us=to_us(next_at) if next_at else None,
            )
        log.warning(
            {
                "event": "digest_send_failed",
                "error": error,
                "retry_at": next_at.isoformat() if next_at else None,
                **where,
            }
        )

    def _message(self, s: DigestSchedule, iso_week: str) -> DigestMessage:
        zone = self._zone(s)
        rendered = self._digest.rendered(
            s.tenant_id, iso_week, zone, FcrVariant.DEFAULT, DigestFormat.BOTH
        )
        return DigestMessage(
            tenant_id=s.tenant_id,
            schedule_id=s.schedule_id,
            iso_week=iso_week,
            time_zone=zone,
            subject=f"Weekly digest — {s.tenant_id} — {iso_week}",
            markdown=rendered.markdown,
            html=rendered.html,
            digest=self._digest_json(rendered.digest),
        )

    def send_now(self, tenant_id: str, schedule_id: str) -> DigestDelivery | None:
        """Ops and tests: treat the schedule's latest run as due now and attempt it.
        A week already made is not made again: its row is returned as it stands
        (None when another replica holds the tenant at this moment)."""
        now = self._clock()
        with self._engine.begin() as conn:
            s = repo.load_schedule(conn, tenant_id, schedule_id)
            if s is None:
                raise NotFound(f"no digest schedule {schedule_id!r}")
            if s.paused:
                raise FailedPrecondition(f"schedule {schedule_id!r} is paused")
            run_at = last_run(s.weekday, s.local_minute, self._zone(s), now)
            assert s.next_run_at is not None  # unpaused schedules have one
            if s.next_run_at > now:  # pull the run forward (updated_at stays)
                repo.advance_schedule(
                    conn, tenant_id, schedule_id, to_us(s.next_run_at), to_us(run_at)
                )
        self.run_tenant(tenant_id)
        week = week_of_run(run_at, self._zone(s))
        with self._engine.connect() as conn:
            rows = repo.list_deliveries(conn, tenant_id, schedule_id, None, MAX_PAGE_SIZE)
        return next((r for r in rows if r.iso_week == week), None)


def _where(tenant_id: str, schedule_id: str, iso_week: str) -> dict[str, str]:
    return {"tenant": tenant_id, "schedule": schedule_id, "week": iso_week}


def _merged(sent: DigestSchedule, stored: DigestSchedule | None) -> DigestSchedule:
    """`sent`, with the stored URL and secret where the caller echoed what it read."""
    url = sent.webhook_url
    if stored is not None and url and url == stored.masked_url:
        url = stored.webhook_url
    elif url.endswith("/" + MASK):
        raise InvalidArgument(
            [FieldViolation("schedule.webhook_url", "is a masked URL; send the full URL")]
        )
    secret = sent.secret
    if (
        not secret
        and stored is not None
        and stored.channel == sent.channel
        and stored.webhook_url == url
        and sent.channel in SIGNED_CHANNELS
    ):
        secret = stored.secret
    return replace(sent, webhook_url=url, secret=secret)


class DigestDeliveryLoop(TenantLoop):
    """The background sender: each period, every tenant with a due schedule or a
    waiting retry."""

    def __init__(self, service: DigestDeliveryService, period_seconds: float) -> None:
        super().__init__(
            "digest-delivery",
            service.tenants_with_work,
            lambda _tenant: True,
            service.run_tenant,
            period_seconds,
        )
