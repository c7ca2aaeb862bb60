"""The allowance ledger: CSP worklogs read back from Jira, counted against each customer's monthly
hours, and enforced in Jira (issue 8)."""
