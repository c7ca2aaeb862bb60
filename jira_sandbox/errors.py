"""Jira's error answers: `{"errorMessages": [...], "errors": {...}}` with the status it uses.

Handlers raise `JiraApiError`; the app renders it. The message texts are Jira's own wording
where it is known (quoted from real responses in the issue trackers of Jira clients), so a
client that matches on them behaves here as it would against Jira.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Wording of real Jira answers.
REMOVED_SEARCH_API = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED_JQL = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
BAD_CREDENTIALS = "Client must be authenticated to access this resource."
CLOUD_BEARER_REJECTED = "Failed to parse Connect Session Auth Token"
RATE_LIMITED = "The request has been rate-limited. Please try again later."
INVALID_PAYLOAD = "Invalid request payload. Refer to the REST API documentation and try again."
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
XSRF_CHECK_FAILED = "XSRF check failed"
SUMMARY_TOO_LONG = "Summary must be less than 255 characters."
SUMMARY_REQUIRED = "You must specify a summary of the issue."
SUMMARY_NEWLINE = "The summary is invalid because it contains newline characters."
PROJECT_REQUIRED = "Specify a valid project ID or key"
ISSUETYPE_REQUIRED = "Specify an issue type"
ISSUETYPE_INVALID = "The issue type selected is invalid."
TEXT_TOO_LONG = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
ADF_REQUIRED = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
STRING_REQUIRED = "Operation value must be a string"
TIME_SPENT_REQUIRED = "You must indicate the time spent working."
GDPR_QUERY = "'accountId' must be the only user identifying query parameter in GDPR strict mode."

TEXT_LIMIT = 32767
SUMMARY_LIMIT = 255
LABEL_LIMIT = 255


def label_has_spaces(label: str) -> str:
    return f"The label '{label}' contains spaces which is invalid."


def label_too_long(label: str) -> str:
    return f"The label '{label}' exceeds the maximum length for a single label of 255 characters."


def field_not_settable(field: str) -> str:
    return f"Field '{field}' cannot be set. It is not on the appropriate screen, or unknown."


def transition_not_valid(transition_id: str) -> str:
    return f"Transition id '{transition_id}' is not valid for this issue."


class JiraApiError(Exception):
    """An answer other than success, in Jira's error-collection shape."""

    def __init__(
        self,
        status: int,
        error_messages: Sequence[str] = (),
        errors: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.error_messages = list(error_messages)
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        self._body = dict(body) if body is not None else None
        super().__init__(f"{status}: {self.error_messages} {self.errors}")

    def body(self) -> dict[str, Any]:
        if self._body is not None:
            return self._body
        return {"errorMessages": self.error_messages, "errors": self.errors}


def bad_request(*messages: str, **errors: str) -> JiraApiError:
    return JiraApiError(400, messages, errors)


def field_errors(errors: Mapping[str, str]) -> JiraApiError:
    return JiraApiError(400, (), errors)


def not_found(message: str) -> JiraApiError:
    return JiraApiError(404, [message])


def issue_not_found() -> JiraApiError:
    return not_found(ISSUE_NOT_FOUND)
