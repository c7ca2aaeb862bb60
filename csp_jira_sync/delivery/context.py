"""What every inbox handler works with: the store, the Jira gateway, the mappings and rules,
the project, the search settle time and the clock. Built once in `runtime/bootstrap.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from csp_jira_sync.classify import Classifier
from csp_jira_sync.config.mappings import Customer, Mappings
from csp_jira_sync.errors import InputError
from csp_jira_sync.jira.port import Gateway
from csp_jira_sync.store import Store


@dataclass(frozen=True)
class HandlerContext:
    store: Store
    gateway: Gateway
    mappings: Mappings
    rules: Classifier
    project: str
    # How long Jira's search index may take to show a fresh issue before a miss is trusted.
    search_settle: timedelta
    clock: Callable[[], datetime]

    def customer(self, alias: str) -> Customer:
        found = self.mappings.customer(alias)
        if found is None:
            raise InputError(f"customer {alias!r} is no longer in mappings/customers.yaml")
        return found
