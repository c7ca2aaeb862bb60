"""The nightly reconciliation: finds drift between what the daemon accepted, what its store
records and what Jira holds, repairs what it safely can, and reports what needs a person."""
