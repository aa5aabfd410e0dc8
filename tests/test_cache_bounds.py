"""Hardening: what callers name (key ids, tenant ids) cannot grow the server's
memory without bound, and calls naming made-up tenants leave nothing behind."""

from __future__ import annotations

import secrets
import threading
import time

import pytest
from builders import ticket

from ticketminer.domain.api_keys import Scope
from ticketminer.services import api_keys as api_keys_module
from ticketminer.services import tenant_settings as tenant_settings_module
from ticketminer.services.api_keys import KEY_CACHE_SIZE, MISS_CACHE_SIZE, ApiKeyService
from ticketminer.services.issue_columns import IssueColumns
from ticketminer.services.issue_models import IssueModelCache
from ticketminer.services.tenant_locks import TenantJobs, TenantLocks
from ticketminer.services.tenant_settings import TenantSettingsService
from ticketminer.store.job_locks import JobLocks


def _random_token() -> str:
    return f"tm_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"


@pytest.fixture
def counted_reads(monkeypatch) -> list[str]:
    """The key ids ApiKeyService read from the database."""
    reads: list[str] = []
    real = api_keys_module.find_key

    def find_key(conn, key_id):
        reads.append(key_id)
        return real(conn, key_id)

    monkeypatch.setattr(api_keys_module, "find_key", find_key)
    return reads


def test_a_flood_of_random_tokens_leaves_the_key_caches_at_their_bounds(
    app, counted_reads, monkeypatch
) -> None:
    # Entries live an hour here, so a slow database cannot let them expire mid-flood
    # and the count below is the bound, not the speed of the machine.
    monkeypatch.setattr(api_keys_module, "CACHE_SECONDS", 3600)
    keys = ApiKeyService(app.engine)
    _, good = keys.create(["shop"], Scope.READ)
    assert keys.authenticate(good) is not None
    flood = 20_000
    for _ in range(flood):
        assert keys.authenticate(_random_token()) is None
    found, missing = keys.cache_sizes()
    assert found == 1 <= KEY_CACHE_SIZE  # the real key
    assert missing == MISS_CACHE_SIZE < flood
    assert len(counted_reads) == flood + 1  # one read per distinct unknown id
    assert keys.authenticate(good) is not None  # the real key was never pushed out


def test_a_repeated_unknown_token_costs_one_read_and_a_new_key_is_not_shadowed(
    app, counted_reads
) -> None:
    keys: ApiKeyService = app.api_keys
    stranger = _random_token()
    for _ in range(100):
        assert keys.authenticate(stranger) is None
    assert len(counted_reads) == 1
    # A wrong secret for a real key id is refused, and a revoked key stops at once.
    key, token = keys.create(["*"], Scope.WRITE)
    wrong = token[: token.rindex("_") + 1] + "x" * 40
    assert keys.authenticate(wrong) is None
    assert keys.authenticate(token) is not None
    keys.revoke(key.key_id)
    assert keys.authenticate(token) is None


def test_a_key_created_here_works_even_if_its_id_was_probed_first(app, monkeypatch) -> None:
    keys: ApiKeyService = app.api_keys
    monkeypatch.setattr(api_keys_module.secrets, "token_hex", lambda n: "0123456789abcdef")
    probe = "tm_0123456789abcdef_" + "y" * 40
    assert keys.authenticate(probe) is None  # remembered as unknown
    _, token = keys.create(["shop"], Scope.READ)
    assert token.startswith("tm_0123456789abcdef_")
    assert keys.authenticate(token) is not None


def test_tenant_settings_cache_is_bounded(app, monkeypatch) -> None:
    monkeypatch.setattr(tenant_settings_module, "CACHE_TENANTS", 50)
    service = TenantSettingsService(app.engine)
    for i in range(500):
        assert service.get(f"made-up-{i}").tenant_id == f"made-up-{i}"
    assert len(service._cache) == 50


def test_active_anomalies_cache_is_bounded(app) -> None:
    cache = app.anomalies._active
    for i in range(cache.maxsize + 100):
        cache.put(f"made-up-{i}", [])
    assert len(cache) == cache.maxsize
    assert app.anomalies.active("default") == []


def test_tenant_locks_exist_only_while_held_or_awaited() -> None:
    locks = TenantLocks()
    for i in range(1000):
        with locks(f"made-up-{i}"):
            assert len(locks) == 1
    assert len(locks) == 0
    # Still one lock per tenant: a second holder waits for the first.
    order: list[str] = []

    def second() -> None:
        with locks("t"):
            order.append("second")

    with locks("t"):
        thread = threading.Thread(target=second)
        thread.start()
        deadline = time.monotonic() + 10
        while locks._locks["t"].users < 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert len(locks) == 1 and locks._locks["t"].users == 2  # one shared entry
        order.append("first")
    thread.join(10)
    assert order == ["first", "second"] and len(locks) == 0


def test_tenant_jobs_skip_a_busy_tenant_and_forget_idle_ones(app) -> None:
    jobs = TenantJobs("test-job", JobLocks(app.engine))
    with jobs.run("t") as mine:
        assert mine
        seen: list[bool] = []
        thread = threading.Thread(target=lambda: seen.append(_try(jobs, "t")))
        thread.start()
        thread.join(10)
        assert seen == [False]
    assert _try(jobs, "t") is True
    assert len(jobs._threads) == 0


def _try(jobs: TenantJobs, tenant: str) -> bool:
    with jobs.run(tenant, wait=False) as mine:
        return mine


def test_issue_columns_keep_nothing_for_made_up_tenants(app) -> None:
    columns = IssueColumns(app.engine, max_tenants=5)
    for i in range(100):
        facts = app.facts.table(f"made-up-{i}")
        assert len(columns.column(f"made-up-{i}", facts)) == 0
    assert columns.cached_tenants() == 0


def test_issue_columns_keep_at_most_max_tenants(app) -> None:
    tenants = [f"shop-{i}" for i in range(4)]
    app.tickets.ingest_bulk(iter([ticket("a", 0, tenant_id=t) for t in tenants]))
    columns = IssueColumns(app.engine, max_tenants=2)
    for t in tenants:
        assert len(columns.column(t, app.facts.table(t))) == 1
    assert columns.cached_tenants() == 2


def test_issue_models_are_bounded(app) -> None:
    models = IssueModelCache(app.engine, max_tenants=5)
    for i in range(100):
        assert models.current(f"made-up-{i}").version == 0
    assert len(models._models) == 5
