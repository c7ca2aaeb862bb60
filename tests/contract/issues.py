"""Small builders shared by the contract tests: unique labels and issues to work on."""

from __future__ import annotations

import uuid
from typing import Any

import jira
from jira.resources import Issue

PROJECT = "CSP"
ISSUE_TYPES = {"Task", "Incident", "Problem", "Service Request", "Report"}


def unique_label(prefix: str = "contract") -> str:
    """A label no other test uses, so searches see only this test's issues."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def task_fields(summary: str, **fields: Any) -> dict[str, Any]:
    return {
        "project": {"key": PROJECT},
        "issuetype": {"name": "Task"},
        "summary": summary,
        **fields,
    }


def new_issue(client: jira.JIRA, summary: str = "Contract test issue", **fields: Any) -> Issue:
    return client.create_issue(fields=task_fields(summary, **fields))


def adf(text: str) -> dict[str, Any]:
    """A one-paragraph Atlassian Document Format document."""
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }
