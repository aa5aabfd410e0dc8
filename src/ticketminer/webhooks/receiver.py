"""One webhook delivery from check to stored ticket, without HTTP: the routes call
it in a worker thread, and it is tested directly too.

Order of checks (nothing is stored unless every one passes): known source (404),
API key when `--auth keys` (401, 403), tenant id (400), signature or token and its
timestamp (401), body (400), replay of a signed delivery (409). Then the event is
applied to the stored ticket and ingested through `TicketService.ingest`, the
IngestTicket path, so validation and outcomes are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from ticketminer.domain.errors import FieldViolation, InvalidArgument, NotFound
from ticketminer.domain.model import DEFAULT_TENANT, IngestOutcome, Ticket
from ticketminer.domain.ticket_events import TicketEvent, apply_event
from ticketminer.domain.timeutil import utc_now
from ticketminer.domain.validation import tenant_violations
from ticketminer.services.api_keys import ApiKeyService
from ticketminer.services.ticket_locks import TicketLocks
from ticketminer.services.tickets import TicketService
from ticketminer.webhooks.base import SignatureRejected, WebhookSource
from ticketminer.webhooks.receipts import Receipts


class WebhookError(Exception):
    """A refused delivery: its HTTP status, a gRPC-style code and a message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        violations: tuple[FieldViolation, ...] = (),
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.violations = status, code, message, violations


@dataclass(frozen=True, slots=True)
class Accepted:
    tenant_id: str
    external_id: str
    # None: the event concerns no ticket (a user event, a typing notice) and was ignored.
    outcome: IngestOutcome | None


MISSING_KEY = "missing API key: send 'Authorization: Bearer <key>' or ?api_key=<key>"


class WebhookReceiver:
    def __init__(
        self,
        tickets: TicketService,
        keys: ApiKeyService | None,
        receipts: Receipts,
        secrets: Mapping[str, str],
        sources: Mapping[str, WebhookSource],
        max_id_bytes: int,
        locks: TicketLocks,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._tickets = tickets
        self._keys = keys  # None: --auth off
        self._receipts = receipts
        self._secrets = dict(secrets)
        self._sources = dict(sources)
        self._max_id_bytes = max_id_bytes
        self._clock = clock
        # Read, apply and write one ticket at a time, in this replica and across all
        # replicas on the database, so two events on it never lose one.
        self._locks = locks

    def source(self, name: str) -> tuple[WebhookSource, str]:
        """The source and its secret; 404 for one unknown or not configured."""
        source = self._sources.get(name)
        if source is None:
            known = ", ".join(sorted(self._sources))
            raise WebhookError(404, "not_found", f"unknown webhook source {name[:40]!r}: {known}")
        secret = self._secrets.get(name)
        if not secret:
            raise WebhookError(
                404,
                "not_found",
                f"webhook source {name!r} is not enabled: give it a secret in "
                "--webhook-secrets / TICKETMINER_WEBHOOK_SECRETS",
            )
        return source, secret

    def authorize(self, tenant_id: str, token: str) -> None:
        """With API keys on, the key must exist, may write, and may touch the tenant."""
        if self._keys is None:
            return
        if not token:
            raise WebhookError(401, "unauthenticated", MISSING_KEY)
        key = self._keys.authenticate(token)
        if key is None:
            raise WebhookError(401, "unauthenticated", "invalid or revoked API key")
        if not key.allows(write=True):
            raise WebhookError(
                403, "permission_denied", f"API key {key.key_id} is read-only; webhooks write"
            )
        if not key.allows_tenant(tenant_id):
            raise WebhookError(
                403,
                "permission_denied",
                f"API key {key.key_id} may not access tenant {tenant_id[:64]!r}",
            )

    def receive(
        self,
        name: str,
        tenant_id: str,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
    ) -> Accepted:
        source, secret = self.source(name)
        violations = tenant_violations(tenant_id, "tenant_id", self._max_id_bytes)
        if violations:
            raise InvalidArgument(violations)
        now = self._clock()
        try:
            replay_key = source.verify(headers, query, body, secret, now)
        except SignatureRejected as exc:
            raise WebhookError(401, "unauthenticated", str(exc)) from None
        update = source.update(body, now)
        if update is None:
            return Accepted(tenant_id, "", None)
        if replay_key is not None and not self._receipts.claim(replay_key):
            raise WebhookError(
                409, "already_exists", "this signed delivery was already accepted (a replay)"
            )
        try:
            return self._store(tenant_id, update)
        except BaseException:
            if replay_key is not None:
                self._receipts.release(replay_key)
            raise

    def _store(self, tenant_id: str, update: TicketEvent | Ticket) -> Accepted:
        if isinstance(update, Ticket):
            if update.tenant_id not in (tenant_id, DEFAULT_TENANT):
                raise InvalidArgument(
                    [FieldViolation("tenant_id", f"must be empty or {tenant_id!r} (the URL's)")]
                )
            result = self._tickets.ingest(replace(update, tenant_id=tenant_id))
            return Accepted(tenant_id, update.external_id, result.outcome)
        with self._locks.hold(tenant_id, update.external_id) as got:
            if not got:
                raise WebhookError(
                    503,
                    "unavailable",
                    "another replica is still writing this ticket; retry the delivery",
                )
            try:
                stored = self._tickets.get(tenant_id, update.external_id)
            except NotFound:
                stored = None
            if stored is not None and stored.messages_truncated:
                raise WebhookError(
                    413,
                    "resource_exhausted",
                    "the stored ticket is too large to update by event; send its full "
                    "state through IngestTicket",
                )
            ticket = apply_event(stored.ticket if stored else None, update, tenant_id)
            result = self._tickets.ingest(ticket)
        return Accepted(tenant_id, update.external_id, result.outcome)
