"""Configuration errors name the setting (flag and variable), the value and what is
allowed, and `ticketminer` exits 2 with that one line instead of a traceback."""

from __future__ import annotations

import argparse
import os
import subprocess
from dataclasses import fields

import pytest
from server_process import BIN_DIR

from ticketminer.cli import main
from ticketminer.config import (
    ENV_PREFIX,
    RULES,
    SECRET_SETTINGS,
    SERVE_DEFAULTS,
    ConfigError,
    Settings,
    add_arguments,
    check_serve,
    parse_setting,
    settings_from,
)

# setting: (accepted text -> value, refused texts)
CASES: dict[str, tuple[dict[str, object], list[str]]] = {
    "host": ({"0.0.0.0": "0.0.0.0", "::1": "::1", "example.org": "example.org"}, ["", " ", "a b"]),
    "port": ({"0": 0, "50051": 50051, "65535": 65535}, ["abc", "-1", "65536", "1.5", ""]),
    "db_url": ({"x.db": "x.db", "postgresql+psycopg://h/db": "postgresql+psycopg://h/db"}, [" "]),
    "max_text_bytes": ({"1": 1, "65536": 65536}, ["0", "-5", "1k"]),
    "max_id_bytes": ({"16": 16, "256": 256}, ["15", "65537", "x"]),
    "max_list_items": ({"1": 1, "1000": 1000}, ["0", "1000001", "-1"]),
    "max_series_points": ({"1": 1, "50000": 50000}, ["0", "1e5"]),
    "max_attribute_columns": ({"1": 1, "64": 64}, ["0", "-1"]),
    "rootcause_max_attributes": ({"1": 1, "12": 12}, ["0", "1001"]),
    "rootcause_max_cells": ({"1000": 1000, "10000000": 10000000}, ["999", "lots"]),
    "max_message_bytes": ({"1024": 1024, "16777216": 16777216}, ["0", "1023", "-1", str(2**31)]),
    "max_concurrent_rpcs": ({"1": 1, "256": 256}, ["0", "-1", "many"]),
    "workers": ({"1": 1, "32": 32}, ["0", "-3", "2.0"]),
    "grace_seconds": ({"0": 0.0, "2.5": 2.5}, ["-1", "nan", "inf", "soon"]),
    "log_level": ({"debug": "DEBUG", "WARNING": "WARNING"}, ["LOUD", "warn", ""]),
    "recluster_after_tickets": ({"0": 0, "5000": 5000}, ["-1", "x"]),
    "recluster_interval_seconds": ({"0": 0.0, "3600": 3600.0}, ["-0.5", "hourly"]),
    "recluster_min_tickets": ({"0": 0, "200": 200}, ["-200"]),
    "issue_random_state": ({"0": 0, str(2**32 - 1): 2**32 - 1}, ["-1", str(2**32)]),
    "anomaly_scan_seconds": ({"0": 0.0, "60": 60.0}, ["-60", "1e999"]),
    "retention_seconds": ({"0": 0.0, "3600": 3600.0}, ["-1", "1e999"]),
    "anomaly_time_zone": (
        {"UTC": "UTC", "Asia/Shanghai": "Asia/Shanghai"},
        ["Mars/Base", "", "../etc/passwd", "America", "x" * 300],
    ),
    "anomaly_history_days": ({"1": 1, "120": 120}, ["0", "-7", "99999999"]),
    "digest_ticket_url": (
        {"": "", "https://h/t/{external_id}": "https://h/t/{external_id}"},
        ["https://h/t/"],
    ),
    "tenure_edges_days": ({"30,90": "30,90", "7": "7"}, ["30,abc", "90,30", "0,30", "-5", ""]),
    "metrics_port": ({"-1": -1, "0": 0, "9464": 9464}, ["-2", "65536", "off"]),
    "http_port": ({"-1": -1, "0": 0, "8080": 8080}, ["-2", "65536", "on"]),
    "auth": ({"off": "off", "KEYS": "keys"}, ["bogus", "on", ""]),
    "tls_cert_file": ({"": "", "/x.pem": "/x.pem"}, []),
    "tls_key_file": ({"": "", "/x.key": "/x.key"}, []),
    "tls_client_ca_file": ({"": "", "/ca.pem": "/ca.pem"}, []),
    "auth_open_services": (
        {"": "", "grpc.health.v1.Health, a.B": "grpc.health.v1.Health, a.B"},
        ["a b", "grpc..Health", "1x"],
    ),
    "embedder": (
        {"use": "use", "off": "off", "http://127.0.0.1:8080/v1": "http://127.0.0.1:8080/v1"},
        ["bert", "ftp://x"],
    ),
    "embedder_model": ({"m": "m", "": ""}, []),
    "embedder_timeout_seconds": ({"30": 30.0, "0.5": 0.5}, ["0", "-1", "soon"]),
    "embedder_threads": ({"1": 1, "4": 4}, ["0", "65", "many"]),
    "embedder_api_key": ({"k": "k"}, []),
    # Refused secrets are not echoed (test_webhooks_config checks the message).
    "webhook_secrets": ({"": "", "zendesk=a,zammad=b=": "zendesk=a,zammad=b="}, []),
    "webhook_max_bytes": ({"1024": 1024, "1048576": 1048576}, ["1023", str(2**26 + 1), "1M"]),
    "digest_delivery_seconds": ({"0": 0.0, "30": 30.0}, ["-1", "often"]),
    "digest_retry_seconds": ({"1": 1.0, "60": 60.0}, ["0", "-60"]),
    "digest_retry_factor": ({"1": 1.0, "5": 5.0}, ["0.5", "x"]),
    "digest_max_attempts": ({"1": 1, "5": 5}, ["0", "101"]),
    "delivery_timeout_seconds": ({"30": 30.0, "0.5": 0.5}, ["0", "-1"]),
    "smtp_url": (
        {
            "": "",
            "smtp://mail.example": "smtp://mail.example",
            "smtps://u:p@mail.example:465": "smtps://u:p@mail.example:465",
        },
        ["http://u:hunter2@mail.example", "smtp://", "smtp://u:hunter2@h:99999"],
    ),
    "smtp_from": ({"digest@example.com": "digest@example.com"}, ["", "no-at-sign", "a b@c"]),
    "metrics_tenant_labels": (
        {
            "true": True,
            "ON": True,
            "1": True,
            "yes": True,
            "false": False,
            "0": False,
            "off": False,
        },
        ["maybe", "2", ""],
    ),
}


def test_every_setting_has_a_rule_and_cases() -> None:
    names = {f.name for f in fields(Settings)}
    missing = sorted(names - set(RULES))
    assert not missing, f"add a rule to config.RULES for {missing}"
    assert names <= set(CASES), sorted(names - set(CASES))


def test_every_default_passes_its_own_rule() -> None:
    for f in fields(Settings):
        text = str(f.default).lower() if isinstance(f.default, bool) else str(f.default)
        assert parse_setting(f.name, text) == f.default, f.name


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_rule_accepts_and_refuses(name: str) -> None:
    good, bad = CASES[name]
    for text, value in good.items():
        assert parse_setting(name, text, "--x") == value, (name, text)
    for text in bad:
        with pytest.raises(ConfigError) as err:
            parse_setting(name, text, "TICKETMINER_X")
        assert err.value.setting == name and err.value.value == text
        message = str(err.value)
        flag = "--db" if name == "db_url" else "--" + name.replace("_", "-")
        assert flag in message and ENV_PREFIX + name.upper() in message
        if name in SECRET_SETTINGS:  # a credential is never echoed
            assert "<hidden>" in message and repr(text) not in message
        else:
            assert repr(text) in message
        assert "(from TICKETMINER_X)" in message
        assert message.endswith(err.value.allowed) and err.value.allowed


def test_flags_win_over_variables_and_both_are_checked() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--port", "7000", "--metrics-tenant-labels"])
    env = {"TICKETMINER_PORT": "abc", "TICKETMINER_WORKERS": "4"}
    settings = settings_from(args, env)
    assert (settings.port, settings.workers, settings.metrics_tenant_labels) == (7000, 4, True)
    args = parser.parse_args(["--metrics-tenant-labels", "off"])
    assert settings_from(args, {}).metrics_tenant_labels is False
    with pytest.raises(ConfigError, match=r"TICKETMINER_WORKERS = '-4' \(from TICKETMINER_WORKERS"):
        settings_from(parser.parse_args([]), {"TICKETMINER_WORKERS": "-4"})
    with pytest.raises(ConfigError, match=r"\(from --port\)"):
        settings_from(parser.parse_args(["--port", "x"]), {})
    assert settings_from(parser.parse_args([]), {"TICKETMINER_PORT": ""}).port == Settings().port


def test_serving_checks_tls_files_and_ports(tmp_path) -> None:
    check_serve(Settings())
    pem = tmp_path / "server.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match="--tls-key-file"):
        check_serve(Settings(tls_cert_file=str(pem)))
    with pytest.raises(ConfigError, match="--tls-cert-file"):
        check_serve(Settings(tls_key_file=str(pem)))
    with pytest.raises(ConfigError, match=r"--tls-cert-file .* 'nowhere.pem'.*readable PEM"):
        check_serve(Settings(tls_cert_file="nowhere.pem", tls_key_file=str(pem)))
    check_serve(Settings(tls_cert_file=str(pem), tls_key_file=str(pem)))
    with pytest.raises(ConfigError, match="--metrics-port"):
        check_serve(Settings(port=9000, metrics_port=9000))


def test_main_prints_one_line_and_returns_2(capsys) -> None:
    assert main(["serve", "--auth", "bogus"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "ticketminer: invalid setting --auth / TICKETMINER_AUTH = 'bogus' (from --auth): "
        "expected one of off, keys\n"
    )


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    return {**env, **extra}


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["serve"], {"TICKETMINER_PORT": "abc"}, "--port / TICKETMINER_PORT = 'abc'"),
        (["serve", "--tenure-edges-days", "30,abc"], {}, "TICKETMINER_TENURE_EDGES_DAYS"),
        (["serve", "--log-level", "LOUD"], {}, "--log-level / TICKETMINER_LOG_LEVEL = 'LOUD'"),
        (["serve", "--auth", "bogus"], {}, "expected one of off, keys"),
        (["serve", "--workers", "-1"], {}, "--workers / TICKETMINER_WORKERS = '-1'"),
        (["serve"], {"TICKETMINER_MAX_TEXT_BYTES": "-5"}, "TICKETMINER_MAX_TEXT_BYTES"),
        (["serve", "--anomaly-time-zone", "Mars/Base"], {}, "an IANA time zone"),
        (["serve"], {"TICKETMINER_METRICS_TENANT_LABELS": "maybe"}, "true or false"),
        (["serve", "--tls-key-file", "k.pem"], {}, "--tls-cert-file"),
        (["import", "x.csv", "--max-text-bytes", "0"], {}, "--max-text-bytes"),
        (["keys", "list"], {"TICKETMINER_LOG_LEVEL": "chatty"}, "TICKETMINER_LOG_LEVEL"),
    ],
)
def test_the_real_cli_exits_2_naming_the_setting(tmp_path, args, env, named) -> None:
    done = subprocess.run(
        [str(BIN_DIR / "ticketminer"), *args, "--db", str(tmp_path / "t.db")],
        env=_clean_env(**env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    # One line from ticketminer (other lines may come from the interpreter's own hooks).
    (line,) = [s for s in done.stderr.splitlines() if s.startswith("ticketminer:")]
    assert line.startswith("ticketminer: invalid setting ") and named in line, done.stderr
    assert not (tmp_path / "t.db").exists()  # refused before anything was opened


def test_serve_defaults_to_the_http_port_8080_that_flags_and_variables_override() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser, defaults=SERVE_DEFAULTS)
    assert "default 8080" in parser.format_help()
    assert Settings().http_port == -1  # off where code builds settings (tests, tools)
    assert settings_from(parser.parse_args([]), {}, SERVE_DEFAULTS).http_port == 8080
    env = {"TICKETMINER_HTTP_PORT": "-1"}
    assert settings_from(parser.parse_args([]), env, SERVE_DEFAULTS).http_port == -1
    flagged = parser.parse_args(["--http-port", "9090"])
    assert settings_from(flagged, env, SERVE_DEFAULTS).http_port == 9090


def test_the_http_port_may_not_be_another_port() -> None:
    for taken in ({"port": 9000}, {"metrics_port": 9000}):
        with pytest.raises(ConfigError) as err:
            check_serve(Settings(**{"port": 50051, **taken, "http_port": 9000}))
        assert err.value.setting == "http_port"
    check_serve(Settings(port=0, http_port=0))  # two free ports, not the same one
