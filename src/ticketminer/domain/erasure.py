"""Deletion and its audit trail, as plain values.

An audit entry names what was deleted only by a hash: the log proves that an erasure
happened (who, when, how many tickets) without keeping the identifier it erased.
The hash is salted with the tenant, so equal ids of two tenants do not match.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Action(StrEnum):
    DELETE_TICKET = "delete_ticket"
    DELETE_CUSTOMER = "delete_customer"
    RETENTION = "retention"


class SubjectKind(StrEnum):
    TICKET = "ticket"
    CUSTOMER = "customer"
    RETENTION_DAYS = "retention_days"


RETENTION_ACTOR = "retention"
ANONYMOUS_ACTOR = "anonymous"  # a call to a server running with --auth off


def subject_hash(tenant_id: str, subject_id: str) -> str:
    """SHA-256 (hex) of the subject id, salted with its tenant."""
    return hashlib.sha256(f"{tenant_id}\x00{subject_id}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    tenant_id: str
    action: Action
    subject_kind: SubjectKind
    subject_hash: str
    count: int
    actor: str  # the API key id, or RETENTION_ACTOR
    at: datetime
