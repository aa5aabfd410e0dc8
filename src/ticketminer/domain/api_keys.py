"""API keys as plain values: which tenants a key may touch, and whether it may write.

A key is shown once, as `tm_<key id>_<secret>`; only a hash of the secret is kept,
so a copy of the database does not hand out working keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

ALL_TENANTS = "*"
TOKEN_PREFIX = "tm"
_TOKEN = re.compile(r"tm_([A-Za-z0-9]{8,32})_([A-Za-z0-9_-]{16,128})")


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"  # writing includes reading


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    tenants: tuple[str, ...]  # (ALL_TENANTS,) for every tenant
    scope: Scope
    created_at: datetime
    revoked_at: datetime | None = None
    note: str = ""

    def allows_tenant(self, tenant_id: str) -> bool:
        return ALL_TENANTS in self.tenants or tenant_id in self.tenants

    def allows(self, write: bool) -> bool:
        return self.scope == Scope.WRITE or not write


def parse_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    found = _TOKEN.fullmatch(token)
    return (found.group(1), found.group(2)) if found else None
