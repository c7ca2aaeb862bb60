"""csp-jira-sync: the CSP service of a managed-cloud provider, run inside Jira.

The core (catalog, classification, escalation decisions, allowance arithmetic) is plain functions
over frozen data; the receiver, worker, store and Jira gateway are the I/O shell around it.
"""

__version__ = "0.1.0"
