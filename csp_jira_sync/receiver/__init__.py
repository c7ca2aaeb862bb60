"""The HTTP receiver: verify, parse, store, answer (FastAPI). Never calls Jira."""

from csp_jira_sync.receiver.app import create_receiver
from csp_jira_sync.receiver.operations import add_readiness_probe, set_ready
from csp_jira_sync.receiver.server import ReceiverServer

__all__ = ["ReceiverServer", "add_readiness_probe", "create_receiver", "set_ready"]
