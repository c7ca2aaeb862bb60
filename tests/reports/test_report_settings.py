"""CSP_REPORT_TIMEZONE: the all-customer report's zone, checked when the settings are built."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from csp_jira_sync.settings import Settings


def test_the_report_timezone_defaults_to_utc_and_takes_an_iana_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().report_timezone == "UTC"
    monkeypatch.setenv("CSP_REPORT_TIMEZONE", "Europe/London")
    assert Settings().report_timezone == "Europe/London"


def test_an_unknown_report_timezone_says_what_to_give(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSP_REPORT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError, match="CSP_REPORT_TIMEZONE must be an IANA time zone"):
        Settings()
