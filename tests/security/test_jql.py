"""JQL injection: every text that reaches a JQL query is a quoted, escaped literal
(`csp_jira_sync.jira.jql`) or an identifier validated where it is read, so a hostile label,
customer or source id finds exactly its own issues in the sandbox (which parses JQL as Jira
does) and never widens a search to another customer's.

Where each JQL of the daemon takes its values from:
- `JiraGateway.find_by_label` (exactly-once recovery): a reference label (a hash of the source
  id, `config.references.ref_label`), quoted anyway.
- allowance enforcement (`_label`, `catch_up`): the customer's label and the flag labels from
  the mappings (`check_label` allows quotes), the project key: all quoted.
- saved report filters and report links (`reports.filter_specs`, `reports.render`): labels,
  project and issue keys, quoted.
- triage, `check --live`: `project = <key>` unquoted: the key is validated in `Settings`.
- allowance reading, reports reading, the demo: epoch milliseconds, dates and numeric issue
  ids read from Jira.
Summaries, descriptions, fingerprints and customer names from senders never reach JQL as text:
a fingerprint or data center becomes a label through `slug_label` ([a-z0-9._-]).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jira
import pytest
from pydantic import ValidationError

from csp_jira_sync.allowance.enforcement import Enforcer
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.mappings import CustomerJira, load_mappings
from csp_jira_sync.escalations.decide import labels_for
from csp_jira_sync.jira import jql
from csp_jira_sync.jira.gateway import JiraGateway
from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.reports.filter_specs import customer_filters
from csp_jira_sync.reports.render import keys_jql
from csp_jira_sync.settings import Settings
from csp_jira_sync.store import Store

ROOT = Path(__file__).resolve().parents[2]

# Each of these, pasted between double quotes, would end the literal and add a clause, or
# break the query (a backslash that escapes the closing quote, a line break).
HOSTILE = [
    'acme"||labels="csp-customer-globex',
    'acme" OR labels = "csp-customer-globex',
    'x") OR (labels = "csp-customer-globex',
    'acme\\" OR labels = \\"csp-customer-globex',
    "acme\\",
    'acme" ORDER BY created DESC, "x',
    "acme\nOR labels = csp-customer-globex",
    "acme'||labels='csp-customer-globex",
]


@pytest.fixture
def gateway(sandbox: Any) -> Iterator[JiraGateway]:
    client = jira.JIRA(
        server=sandbox.base_url,
        basic_auth=sandbox.credentials(),
        get_server_info=False,
        max_retries=0,
        options={"rest_api_version": "2", "check_update": False},
    )
    yield JiraGateway(client, server=sandbox.base_url, deployment=sandbox.mode)
    client.close()  # type: ignore[no-untyped-call]


def _issue(gateway: JiraGateway, *labels: str) -> IssueRef:
    return gateway.create_issue(
        IssueDraft("CSP", "Service Request", "JQL probe", "", ("csp", *labels))
    )


def _keys(gateway: JiraGateway, query: str) -> set[str]:
    return {found.ref.key for found in gateway.search(query, fields=("labels",))}


@pytest.mark.parametrize("value", HOSTILE)
def test_a_quoted_literal_matches_exactly_its_own_value(
    sandbox: Any, gateway: JiraGateway, value: str
) -> None:
    globex = _issue(gateway, "csp-customer-globex")
    acme = _issue(gateway, "acme")
    sandbox.admin.flush_index()
    assert _keys(gateway, f"labels = {jql.string(value)}") == set()
    assert _keys(gateway, f"labels in {jql.strings([value, 'acme'])}") == {acme.key}
    assert globex.key not in _keys(gateway, f"project = CSP AND labels = {jql.string(value)}")


@pytest.mark.parametrize("value", [v for v in HOSTILE if "\n" not in v and " " not in v])
def test_find_by_label_finds_the_issue_with_that_label_only(
    sandbox: Any, gateway: JiraGateway, value: str
) -> None:
    """Labels cannot hold spaces or line breaks (Jira's rule); quotes and backslashes they can."""
    own = _issue(gateway, value)
    _issue(gateway, "csp-customer-globex")
    _issue(gateway, "acme")
    sandbox.admin.flush_index()
    assert [ref.key for ref in gateway.find_by_label(value)] == [own.key]


@pytest.mark.parametrize("value", [v for v in HOSTILE if "\n" not in v and " " not in v])
def test_allowance_catch_up_flags_only_the_customer_whose_label_it_searched(
    sandbox: Any, gateway: JiraGateway, sqlite_store: Store, value: str
) -> None:
    mappings = load_mappings(ROOT / "mappings")
    acme = mappings.customers["acme"]
    hostile = acme.model_copy(update={"jira": CustomerJira(label=value)})
    mappings = mappings.model_copy(update={"customers": {**mappings.customers, "acme": hostile}})
    theirs = _issue(gateway, value)
    globex = _issue(gateway, "csp-customer-globex")
    sandbox.admin.flush_index()
    now = datetime.now(UTC)
    enforcer = Enforcer(
        sqlite_store, gateway, mappings, project="CSP", clock=lambda: now, settle=timedelta(0)
    )
    done = enforcer.catch_up(
        hostile,
        Month(now.year, now.month),
        flags=["csp-allowance-90"],
        flags_since=now - timedelta(hours=1),
        hold_since=None,
    )
    sandbox.admin.flush_index()
    assert done["issues_flagged_late"] == 1
    flagged = _keys(gateway, 'labels = "csp-allowance-90"')
    assert flagged == {theirs.key}
    assert globex.key not in flagged


@pytest.mark.parametrize("value", [v for v in HOSTILE if "\n" not in v and " " not in v])
def test_saved_report_filters_select_only_the_customer_they_are_for(
    sandbox: Any, gateway: JiraGateway, value: str
) -> None:
    _issue(gateway, value, "csp-problem-record")
    _issue(gateway, "csp-customer-globex", "csp-problem-record")
    sandbox.admin.flush_index()
    for spec in customer_filters(
        project="CSP",
        alias="acme",
        display_name='Acme "Corp"',
        customer_label=value,
        escalation_label=value,
    ):
        found = list(gateway.search(spec.jql, fields=("labels",)))
        assert all(value in issue.labels for issue in found), spec.jql


def test_report_links_quote_issue_keys() -> None:
    assert keys_jql(['CSP-1" OR project = "SECRET']) == (
        'key in ("CSP-1\\" OR project = \\"SECRET") ORDER BY created ASC'
    )


@pytest.mark.parametrize(
    "project", ["CSP OR project = SECRET", "CSP\nOR", 'CSP"', "csp", "", "1CSP", "CS-P"]
)
def test_a_project_key_that_is_not_one_is_refused_at_startup(project: str) -> None:
    with pytest.raises(ValidationError, match="jira_project"):
        Settings(jira_project=project)


@pytest.mark.parametrize("project", ["CSP", "OPS", "ABC_2", "X"])
def test_real_project_keys_are_accepted(project: str) -> None:
    assert Settings(jira_project=project).jira_project == project


def test_sender_text_reaches_jql_only_as_hashed_or_slugged_labels() -> None:
    mappings = load_mappings(ROOT / "mappings")
    event = EscalationEvent.model_validate(
        {
            "event_id": "evt-1",
            "escalation_id": "NOC-1",
            "customer": "acme",
            "title": 'x" OR labels = "csp-customer-globex',
            "severity": "sev2",
            "status": "open",
            "datacenter": 'va1" || labels = "y',
            "occurred_at": "2026-05-20T10:52:00+02:00",
            "fingerprint": 'ceph" OR labels = "csp-customer-globex\\',
        }
    )
    labels = labels_for(event, mappings.customers["acme"], mappings, 1)
    derived = [label for label in labels if label.startswith(("csp-problem-", "csp-dc-"))]
    assert len(derived) == 2
    for label in derived:
        assert all(c.isalnum() or c in "._-" for c in label), label
