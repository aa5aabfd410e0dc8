"""--webhook-secrets / TICKETMINER_WEBHOOK_SECRETS: source=secret pairs, checked at
start; a refused value is reported without echoing the secrets it holds."""

from __future__ import annotations

import argparse

import pytest

from ticketminer.config import ConfigError, parse_webhook_secrets, settings_from


def test_pairs_parse() -> None:
    assert parse_webhook_secrets(" zendesk=a=b , Zammad=c,,") == {"zendesk": "a=b", "zammad": "c"}
    assert parse_webhook_secrets("") == {}


@pytest.mark.parametrize("text", ["kayako=x", "zendesk=", "zendesk", "zendesk=a,zendesk=b"])
def test_bad_pairs_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_webhook_secrets(text)


def test_a_refused_value_is_not_echoed() -> None:
    environ = {"TICKETMINER_WEBHOOK_SECRETS": "zendesk=topsecret,kayako=alsosecret"}
    with pytest.raises(ConfigError) as err:
        settings_from(argparse.Namespace(), environ)
    message = str(err.value)
    assert "TICKETMINER_WEBHOOK_SECRETS" in message and "zendesk" in message
    assert "topsecret" not in message and "alsosecret" not in message


def test_the_body_limit_has_a_floor() -> None:
    with pytest.raises(ConfigError):
        settings_from(argparse.Namespace(), {"TICKETMINER_WEBHOOK_MAX_BYTES": "10"})
    limit = settings_from(argparse.Namespace(), {"TICKETMINER_WEBHOOK_MAX_BYTES": "2048"})
    assert limit.webhook_max_bytes == 2048
