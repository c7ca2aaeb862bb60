"""Everything that talks to Jira: one gateway on the `jira` package, the retry policy, and the
text rules (lengths, ADF) that Jira enforces."""

from csp_jira_sync.jira.gateway import JiraGateway, connect
from csp_jira_sync.jira.model import IssueDraft, IssueRef

__all__ = ["IssueDraft", "IssueRef", "JiraGateway", "connect"]
