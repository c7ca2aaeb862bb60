"""The one exception hierarchy of csp-jira-sync.

    CspSyncError
    ├── ConfigError            settings or mappings are invalid: fix the file, then restart
    ├── InputError             an event, request or file row is invalid: the sender must fix it
    │   └── UnknownCustomer
    ├── StoreUnavailable       the state store cannot be reached: try again (HTTP 503)
    └── JiraError              Jira answered with an error or not at all
        ├── JiraTransient      429, 5xx, timeouts, dropped connections: retry with backoff
        └── JiraPermanent      any other 4xx: dead-letter with the reason, never retried

`csp_jira_sync.jira.retry.classify_failure` is the one place that decides transient vs permanent.
"""

from __future__ import annotations


class CspSyncError(Exception):
    """Base of every error csp-jira-sync raises on purpose."""


class ConfigError(CspSyncError):
    """Settings or mappings are invalid. The message names the file, the line and the fix."""


class InputError(CspSyncError):
    """Input from outside (an event, a request, an import row) is invalid."""


class UnknownCustomer(InputError):
    """The input names a customer that is not in mappings/customers.yaml."""


class StoreUnavailable(CspSyncError):
    """The state store cannot be reached or written; the caller must not claim success."""


class JiraError(CspSyncError):
    """Jira answered with an error, or did not answer."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class JiraTransient(JiraError):
    """Worth retrying later: rate limits, server errors, timeouts, connection failures."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        may_have_landed: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        # True when the request may have been carried out although no answer said so (a 5xx,
        # a timeout): a create must then be looked for before it is tried again.
        self.may_have_landed = may_have_landed


class JiraPermanent(JiraError):
    """Retrying the same call cannot help (validation errors, permissions, unknown objects)."""
