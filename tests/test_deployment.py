"""compose.yaml and the Dockerfile's configuration, checked without a Docker engine:
two replicas on one PostgreSQL, every variable a real setting, health checks, no root."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ticketminer.cli.health import HEALTH_ENV
from ticketminer.config import ENV_PREFIX, Settings, settings_from

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
SETTINGS = {ENV_PREFIX + f.name.upper() for f in fields(Settings)}
KNOWN = SETTINGS | set(HEALTH_ENV.values())
# ${NAME:-default} and ${NAME} as compose interpolates them.
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def replicas(compose: dict) -> dict[str, dict]:
    """The services built from this repository's Dockerfile."""
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("build") in (".", {"context": "."})
    }


def interpolate(value: str, environ: dict[str, str] | None = None) -> str:
    environ = environ or {}
    return INTERPOLATION.sub(lambda m: environ.get(m[1]) or m[2] or "", value)


def dockerfile_env() -> dict[str, str]:
    runtime = DOCKERFILE.read_text().split("AS runtime", 1)[1]
    block = re.search(r"^ENV (.*?)(?<!\\)\n", runtime, flags=re.M | re.S)
    assert block, "the runtime stage sets its defaults with ENV"
    pairs = re.findall(r"(\w+)=(\S+)", block[1])
    return dict(pairs)


def test_two_replicas_share_one_postgresql(compose) -> None:
    services = replicas(compose)
    assert len(services) == 2
    (raw,) = {s["environment"]["TICKETMINER_DB_URL"] for s in services.values()}  # one for both
    parsed = make_url(interpolate(raw))
    assert parsed.drivername == "postgresql+psycopg"
    assert parsed.host == "postgres" and parsed.host in compose["services"]
    assert compose["services"]["postgres"]["image"] == "postgres:15"
    postgres_env = compose["services"]["postgres"]["environment"]
    assert parsed.username == postgres_env["POSTGRES_USER"]
    assert parsed.database == postgres_env["POSTGRES_DB"]
    # The same password, from the same variable: set it once, both sides follow.
    password = {"POSTGRES_PASSWORD": "s3cret"}
    assert make_url(interpolate(raw, password)).password == "s3cret"
    assert interpolate(postgres_env["POSTGRES_PASSWORD"], password) == "s3cret"


def test_each_replica_has_its_own_published_ports(compose) -> None:
    published: list[str] = []
    for name, service in replicas(compose).items():
        env = service["environment"]
        targets = {port.rsplit(":", 1)[1]: port.rsplit(":", 1)[0] for port in service["ports"]}
        assert env["TICKETMINER_PORT"] in targets, f"{name}: gRPC port not published"
        assert env["TICKETMINER_METRICS_PORT"] in targets, f"{name}: /metrics not published"
        assert env["TICKETMINER_HTTP_PORT"] in targets, f"{name}: HTTP/JSON not published"
        assert env["TICKETMINER_HOST"] == "0.0.0.0"  # reachable from outside the container
        published += targets.values()
    assert len(published) == len(set(published)) == 6
    assert {"50051", "50052", "8080", "8081"} <= set(published)


def test_replicas_wait_for_a_healthy_database_and_restart(compose) -> None:
    postgres = compose["services"]["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]  # a named volume, not the container's layer
    assert postgres["restart"] in ("always", "unless-stopped")
    for name, service in replicas(compose).items():
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert service["restart"] in ("always", "unless-stopped", "on-failure"), name
        # Longer than the server's own drain after SIGTERM.
        grace = float(service["environment"]["TICKETMINER_GRACE_SECONDS"])
        assert float(service["stop_grace_period"].rstrip("s")) > grace


def test_replicas_keep_the_images_health_check(compose) -> None:
    """The image's HEALTHCHECK is `ticketminer health` with no flags, so it reads the
    replica's own TICKETMINER_* variables (port, TLS) and follows them."""
    runtime = DOCKERFILE.read_text().split("AS runtime", 1)[1]
    check = re.search(r"^HEALTHCHECK .*?CMD (\[[^\]]*\])", runtime, flags=re.M | re.S)
    assert check and yaml.safe_load(check[1]) == ["ticketminer", "health"]
    for name, service in replicas(compose).items():
        assert not service.get("healthcheck", {}).get("disable"), name


def test_every_variable_is_a_setting() -> None:
    """Set or only documented, in compose.yaml and the Dockerfile: each TICKETMINER_*
    name is a field of config.Settings (or one of the health probe's own)."""
    for path in (COMPOSE, DOCKERFILE):
        text = path.read_text()
        for name, wildcard in re.findall(r"\b(TICKETMINER_[A-Z0-9_]*[A-Z0-9])(_\*)?", text):
            if wildcard:
                assert any(s.startswith(name + "_") for s in SETTINGS), f"{path.name}: {name}_*"
            else:
                assert name in KNOWN, f"{path.name} names {name}, which is no setting"
        # `TICKETMINER_HOST, _PORT`-style shorthands in comments.
        for name in re.findall(r"TICKETMINER_[A-Z_]+, (_[A-Z_]+[A-Z])", text):
            assert any(s.endswith(name) for s in SETTINGS), f"{path.name}: {name}"


def test_set_variables_parse_as_settings(compose) -> None:
    image = dockerfile_env()
    assert {k for k in image if k.startswith(ENV_PREFIX)} <= SETTINGS
    defaults = settings_from(argparse.Namespace(), image)
    assert defaults.host == "0.0.0.0" and defaults.metrics_port >= 0
    assert defaults.http_port > 0
    exposed = re.search(r"^EXPOSE (.*)$", DOCKERFILE.read_text(), flags=re.M)
    assert exposed and str(defaults.http_port) in exposed[1].split()
    assert make_url(defaults.db_url).drivername == "sqlite"  # single node unless told
    for name, service in replicas(compose).items():
        env = {k: interpolate(str(v)) for k, v in service["environment"].items()}
        assert set(env) <= KNOWN, name
        settings = settings_from(argparse.Namespace(), {**image, **env})
        assert settings.db_url.startswith("postgresql+psycopg://")
        assert settings.auth in ("off", "keys")


def test_nothing_runs_as_root(compose) -> None:
    runtime = DOCKERFILE.read_text().split("AS runtime", 1)[1]
    users = re.findall(r"^USER\s+(\S+)", runtime, flags=re.M)
    assert users and users[-1] not in ("root", "0", "0:0")
    for name, service in compose["services"].items():
        assert str(service.get("user", "")).split(":")[0] not in ("root", "0"), name
        assert not service.get("privileged"), name
    for service in replicas(compose).values():
        assert "user" not in service  # the image's non-root user


def test_the_placeholder_password_is_marked_to_change() -> None:
    text = COMPOSE.read_text()
    defaults = {m[2] for m in INTERPOLATION.finditer(text) if m[1] == "POSTGRES_PASSWORD"}
    assert len(defaults) == 1
    (placeholder,) = defaults
    assert "change-me" in placeholder
    assert "CHANGE" in text


def _compose_cli() -> list[str] | None:
    """`docker compose` or `docker-compose`, when installed (no engine needed to
    render the configuration)."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        probe = subprocess.run([*command, "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return command
    return None


def test_docker_compose_accepts_the_file() -> None:
    command = _compose_cli()
    if command is None:
        pytest.skip("neither the docker compose plugin nor docker-compose is installed")
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "POSTGRES_PASSWORD": "test"},
    )
    assert result.returncode == 0, result.stderr
