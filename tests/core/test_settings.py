"""Settings: every key documented, secrets hidden, bad values explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from csp_jira_sync.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "settings.example.env"


def test_settings_example_env_lists_every_setting() -> None:
    documented = {
        line.split("=", 1)[0]
        for line in EXAMPLE.read_text().splitlines()
        if line.startswith("CSP_")
    }
    expected = {f"CSP_{name.upper()}" for name in Settings.model_fields}
    assert expected - documented == set()
    assert documented - expected == set()


def test_secrets_never_show_in_the_settings_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSP_JIRA_TOKEN", "tok-123-secret")
    monkeypatch.setenv("CSP_WEBHOOK_SECRET", "whsec_c2VjcmV0")
    settings = Settings()
    assert "tok-123-secret" not in repr(settings) and "whsec_c2VjcmV0" not in str(settings)


def test_a_bad_value_is_refused_with_what_to_do_and_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSP_JIRA_URL", "jira.example.com/tok-in-url")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "must start with http:// or https://" in str(caught.value)
    assert "tok-in-url" not in str(caught.value)
