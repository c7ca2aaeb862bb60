"""Creating the seed's issues (if any) through the same operations the API uses."""

from __future__ import annotations

from typing import Any

from jira_sandbox.issue_service import create_issue
from jira_sandbox.state import SandboxState
from jira_sandbox.timefmt import parse_jira_datetime
from jira_sandbox.workflow import Workflow
from jira_sandbox.worklog_service import add_worklog


def load_seed_issues(state: SandboxState[Any], workflow: Workflow) -> None:
    for seeded in state.seed.issues:
        reporter = state.users[seeded.reporter or state.seed.users[0].name]
        fields: dict[str, Any] = {
            "project": {"key": seeded.project_key},
            "issuetype": {"name": seeded.issuetype_name},
            "summary": seeded.summary,
            "labels": list(seeded.labels),
        }
        if seeded.description is not None:
            fields["description"] = seeded.description
        if seeded.priority_name is not None:
            fields["priority"] = {"name": seeded.priority_name}
        if seeded.assignee is not None:
            fields["assignee"] = {"accountId": state.users[seeded.assignee].account_id}
        issue = create_issue(state, workflow, reporter, {"fields": fields}, 2)
        if seeded.created is not None:
            created = parse_jira_datetime(seeded.created)
            if created is not None:
                issue.created_ms = issue.updated_ms = issue.status_changed_ms = created
        if seeded.status_name is not None:
            status = next(s for s in state.statuses.values() if s.name == seeded.status_name)
            issue.status_id = status.id
            if workflow.is_done(status.id):
                issue.resolution_id = next(iter(state.resolutions), None)
                issue.resolution_ms = issue.updated_ms
        for seeded_worklog in seeded.worklogs:
            body: dict[str, Any] = {
                "timeSpent": seeded_worklog.time_spent,
                "started": seeded_worklog.started,
            }
            if seeded_worklog.comment is not None:
                body["comment"] = seeded_worklog.comment
            add_worklog(state, state.users[seeded_worklog.author], issue, body, {}, 2)
        state.reindex(issue, at_once=True)
