"""Running JQL over the search index, as Jira's search endpoints do.

The query is parsed and validated by the JQL engine (`jql`), its values are checked against the
sandbox's state (an unknown project or status is a 400, as in Jira), and it runs over what the
search index holds - which trails recent writes by the index lag - with the issues named in
`reconcileIssues` read fresh (Cloud's read-after-write). Queries that pin labels
(`labels = x AND ...`) only look at the issues the label index lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jira_sandbox.docs import jql_context
from jira_sandbox.errors import JiraApiError
from jira_sandbox.jql import JqlError, JqlQuery, parse_jql
from jira_sandbox.jql.model import IssueDoc
from jira_sandbox.model import Issue, User
from jira_sandbox.state import SandboxState

MAX_ORDER_FIELDS = 7


@dataclass
class SearchOutcome:
    issues: list[Issue]
    warnings: list[str] = field(default_factory=list)


def parse(text: str) -> JqlQuery:
    try:
        return parse_jql(text)
    except JqlError as error:
        raise JiraApiError(400, error.messages) from None


def _exists(state: SandboxState[IssueDoc]) -> Any:
    def exists(field_name: str, value: str) -> bool:
        folded = value.casefold()
        if field_name == "project":
            return state.find_project(value) is not None or any(
                p.name.casefold() == folded for p in state.projects.values()
            )
        if field_name == "key":
            return state.find_issue(value) is not None
        if field_name in ("assignee", "reporter"):
            # Cloud JQL names users by accountId, email or display name, never by user name.
            return any(
                folded in (u.account_id.casefold(), u.email.casefold(), u.display_name.casefold())
                or (not state.gdpr_strict and folded == u.name.casefold())
                for u in state.users.values()
            )
        tables: dict[str, dict[str, Any]] = {
            "issuetype": state.issue_types,
            "status": state.statuses,
            "priority": state.priorities,
            "resolution": state.resolutions,
        }
        return state.find_by_id_or_name(tables.get(field_name, {}), value) is not None

    return exists


def run(
    state: SandboxState[IssueDoc],
    query: JqlQuery,
    user: User | None,
    *,
    reconcile: Iterable[int] = (),
    strict: bool = True,
) -> SearchOutcome:
    """The matching issues in the query's order. Hold `state.lock` while calling."""
    warnings: list[str] = []
    try:
        query.check_values(_exists(state))
    except JqlError as error:
        if strict:
            raise JiraApiError(400, error.messages) from None
        warnings.extend(error.messages)
    fresh = {
        issue_id: state.current_doc(state.issues_by_id[issue_id])
        for issue_id in reconcile
        if issue_id in state.issues_by_id
    }
    view = state.search_index.view(fresh)
    labels = query.label_equalities()
    docs: Iterable[IssueDoc]
    if labels is None:
        docs = view.values()
    else:
        candidates: set[int] = set(fresh)
        for label in labels:
            candidates |= state.search_index.ids_with_label(label)
        docs = [view[issue_id] for issue_id in candidates if issue_id in view]
    hits = query.search(docs, jql_context(state, user))
    issues = [state.issues_by_id[doc.id] for doc in hits if doc.id in state.issues_by_id]
    return SearchOutcome(issues, warnings)
