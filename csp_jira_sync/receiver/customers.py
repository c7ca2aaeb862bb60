"""Only events for customers in mappings/customers.yaml are stored: anything else is a 422 that
names the known aliases, so the sender (or a CSP lead) can fix it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.receiver.problems import Problem


class KnownCustomers:
    def __init__(self, mappings: Mappings) -> None:
        self.mappings = mappings
        self.aliases = sorted(mappings.customers)

    def unknown(self, alias: str, field: str) -> Problem:
        return Problem(
            422,
            "unknown_customer",
            f"unknown customer {alias!r}: it is not in mappings/customers.yaml. Send one of "
            f"the known aliases ({', '.join(self.aliases)}), or ask a CSP lead to add "
            "the customer.",
            problems=[{"field": field, "message": f"unknown customer {alias!r}"}],
            extra={"known_customers": self.aliases},
        )

    def require(self, alias: str, field: str) -> None:
        if self.mappings.customer(alias) is None:
            raise self.unknown(alias, field)

    def check(self, events: Sequence[EscalationEvent], field: Callable[[int], str]) -> None:
        """Every event's customer is known, or one 422 naming each unknown one by its field."""
        unknown = [
            (index, event.customer)
            for index, event in enumerate(events)
            if self.mappings.customer(event.customer) is None
        ]
        if len(unknown) == 1:
            raise self.unknown(unknown[0][1], field(unknown[0][0]))
        if unknown:
            problem = self.unknown(", ".join(sorted({a for _, a in unknown})), field(0))
            problem.problems = [
                {"field": field(i), "message": f"unknown customer {alias!r}"}
                for i, alias in unknown
            ]
            raise problem
