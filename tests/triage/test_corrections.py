"""A CSP's correction in Jira becomes a labelled example (issue 11): through the sandbox, the
triage pass, the store, and into the next training."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.triage.corrections import corrections_for_training
from csp_jira_sync.triage.decide import Memory
from csp_jira_sync.triage.job import is_correction
from tests.e2e.harness import Daemon, running_daemon


@pytest.fixture
def daemon(sandbox: Any, tmp_path: Path) -> Iterator[Daemon]:
    with running_daemon(sandbox.base_url, tmp_path) as running:
        yield running


def test_a_person_changing_the_daemons_activity_label_leaves_a_labelled_example(
    daemon: Daemon,
) -> None:
    client = daemon.jira()
    summary = "Globex asks to bring their auditors for a tour of the GB3 data center"
    description = "Maria from Globex called: their auditors want to visit GB3 next month."
    issue = client.create_issue(
        fields={
            "project": {"key": "CSP"},
            "issuetype": {"name": "Task"},
            "summary": summary,
            "description": description,
        }
    )
    daemon.app.triage()
    catalog = daemon.app.mappings.catalog
    assert corrections_for_training(daemon.app.store, catalog) == ()  # the daemon's own label

    client.issue(issue.key).update(
        update={
            "labels": [{"remove": "csp-act-datacenter-tours"}, {"add": "csp-act-proactive-calls"}]
        }
    )
    outcomes = daemon.app.triage()
    assert outcomes["corrections"] == 1
    [example] = corrections_for_training(daemon.app.store, catalog)
    assert (example.id, example.subject, example.body, example.expected_activity) == (
        f"jira:{issue.key}",
        summary,
        description,
        "proactive-calls",
    )
    assert "datacenter-tours" in example.note  # what the daemon had said, who and when
    # Seen again by later passes: still one example.
    daemon.app.triage()
    assert len(corrections_for_training(daemon.app.store, catalog)) == 1


@pytest.mark.parametrize(
    ("before", "now", "correction"),
    [
        (Memory("datacenter-tours", "daemon"), Memory("proactive-calls", "human"), True),
        (Memory("triage", "daemon"), Memory("proactive-calls", "human"), True),
        (Memory("out-of-scope", "daemon"), Memory("billing-enquiries", "human"), True),
        # The person kept the daemon's answer (only the category label was missing).
        (Memory("datacenter-tours", "daemon"), Memory("datacenter-tours", "human"), False),
        # Removing the label says what it is not, not what it is.
        (Memory("datacenter-tours", "daemon"), Memory("none", "human"), False),
        # An issue a person labelled from the start was never the daemon's answer.
        (None, Memory("proactive-calls", "human"), False),
        (Memory("proactive-calls", "human"), Memory("service-reviews", "human"), False),
    ],
)
def test_what_counts_as_a_correction(before: Memory | None, now: Memory, correction: bool) -> None:
    mappings = load_mappings(Path(__file__).resolve().parents[2] / "mappings")
    assert is_correction(before, now, mappings) is correction
