"""What can be checked of the container and packaging without a Docker engine."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from ticketminer.cli import main
from ticketminer.server import Server

ROOT = Path(__file__).resolve().parents[1]


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_dockerfile_is_multi_stage_non_root_with_health_check():
    text = dockerfile()
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", text, flags=re.M)
    assert stages == ["build", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    users = re.findall(r"^USER\s+(\S+)", runtime, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert "COPY --from=build" in runtime
    health = re.search(r"^HEALTHCHECK .*?CMD (\[.*\])", runtime, flags=re.M | re.S)
    assert health and '"ticketminer", "health"' in health.group(1)
    # No flags: the probe reads the server's TICKETMINER_* variables (port, TLS).
    assert re.search(r'^\s*CMD \["ticketminer", "health"\]$', runtime, flags=re.M)
    assert re.search(r'^CMD \["ticketminer", "serve"\]', runtime, flags=re.M)


def test_health_command_used_by_the_container(settings, capsys):
    server = Server(settings).start()
    try:
        assert main(["health", "--port", str(server.port)]) == 0
        assert "SERVING" in capsys.readouterr().out
        server.health.enter_graceful_shutdown()
        assert main(["health", "--port", str(server.port)]) == 1
    finally:
        server.stop(grace=0)
    assert main(["health", "--port", str(server.port), "--timeout", "0.5"]) == 1


def test_grpcio_is_at_least_the_stub_generator_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    generator = next(d for d in project["optional-dependencies"]["dev"] if "grpcio-tools" in d)
    tools_version = generator.split("==")[1]
    grpcio = next(d for d in project["dependencies"] if d.startswith("grpcio>="))
    assert grpcio.split(">=")[1].split(",")[0] == tools_version
    stub = (ROOT / "src/ticketminer/v1/ticketminer_pb2_grpc.py").read_text()
    assert f"GRPC_GENERATED_VERSION = '{tools_version}'" in stub


def test_wheel_builds_like_the_docker_build_stage(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if result.returncode != 0 and "No module named" in result.stderr:
        pytest.skip(f"build backend missing in this venv: {result.stderr.strip()[-200:]}")
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("ticketminer-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "ticketminer/v1/ticketminer_pb2.py" in names
    assert any(n.endswith("entry_points.txt") for n in names)
    # The server migrates the schema at start: every migration must ship.
    migrations = ROOT / "src/ticketminer/store/migrations"
    wanted = [
        p.relative_to(ROOT / "src").as_posix()
        for p in migrations.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert any(n.endswith("/env.py") for n in wanted)
    assert [n for n in wanted if n not in names] == []
    # The Dockerfile's build stage makes the same check; run it on this wheel.
    check = dockerfile_migration_check().replace("/wheels", tmp_path.as_posix())
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def dockerfile_migration_check() -> str:
    """The Python of the build stage's `RUN python -c "..."` that fails the image
    build when the wheel lacks a migration."""
    build = dockerfile().split("AS runtime", 1)[0].replace("\\\n", "")
    match = re.search(r'^RUN python -c "(.*?)"$', build, flags=re.M)
    assert match and "migrations" in match[1]
    return match[1]
