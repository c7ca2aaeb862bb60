"""CSP_RECONCILE_CRON and CSP_RETENTION_DAYS: bad values are refused saying what to give; an
empty cron leaves the nightly run to an outside scheduler; and the deploy/ examples schedule
`reconcile` with a cron expression the daemon would accept too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from csp_jira_sync.reconcile.plan import check_cron
from csp_jira_sync.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.mark.parametrize("bad", ["30 2 * *", "nightly", "99 2 * * *"])
def test_a_bad_cron_setting_is_refused_with_an_example(bad: str) -> None:
    with pytest.raises(ValidationError, match=re.escape("read in UTC, e.g. '30 2 * * *'")):
        Settings(reconcile_cron=bad)


def test_a_retention_under_100_days_is_refused() -> None:
    with pytest.raises(ValidationError, match="retention_days"):
        Settings(retention_days=30)


def test_an_empty_cron_leaves_the_nightly_run_to_an_outside_scheduler(
    reconcile_app: Any,
) -> None:
    assert "reconcile" in {job.name for job in reconcile_app.jobs()}
    object.__setattr__(
        reconcile_app, "settings", reconcile_app.settings.model_copy(update={"reconcile_cron": ""})
    )
    assert "reconcile" not in {job.name for job in reconcile_app.jobs()}


def test_the_kubernetes_examples_parse_and_the_cronjob_runs_reconcile() -> None:
    [cronjob] = yaml.safe_load_all((DEPLOY / "kubernetes" / "reconcile-cronjob.yaml").read_text())
    assert cronjob["kind"] == "CronJob"
    check_cron(cronjob["spec"]["schedule"])
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    [container] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["args"][0] == "reconcile"
    kinds = [
        doc["kind"]
        for doc in yaml.safe_load_all((DEPLOY / "kubernetes" / "deployment.yaml").read_text())
    ]
    assert kinds == ["Deployment", "Service"]


def test_the_cron_and_systemd_examples_run_reconcile_at_the_default_time() -> None:
    cron = (DEPLOY / "cron" / "csp-jira-sync-reconcile").read_text().splitlines()
    [entry] = [
        line for line in cron if line and not line.startswith("#") and "=" not in line.split()[0]
    ]
    fields = entry.split()
    assert " ".join(fields[:5]) == Settings().reconcile_cron
    assert "reconcile" in fields
    service = (DEPLOY / "systemd" / "csp-jira-sync-reconcile.service").read_text()
    assert "csp-jira-sync reconcile" in service and "SuccessExitStatus=3" in service
