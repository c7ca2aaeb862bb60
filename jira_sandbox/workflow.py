"""The issue workflow: which transitions an issue in a given status may take.

The default workflow (see `default_seed.yaml`) is To Do -> In Progress -> Awaiting approval ->
Done, with Reopen from Done back to To Do. Jira answers a transition that is not available from
the current status with 400 "Transition id 'N' is not valid for this issue."
"""

from __future__ import annotations

from collections.abc import Iterable

from jira_sandbox.model import Status, Transition


class Workflow:
    def __init__(self, transitions: Iterable[Transition], statuses: dict[str, Status]) -> None:
        self.transitions = tuple(transitions)
        self.statuses = statuses

    def available(self, status_id: str) -> list[Transition]:
        """Transitions an issue in `status_id` can take, in workflow order."""
        return [
            transition
            for transition in self.transitions
            if not transition.from_status_ids or status_id in transition.from_status_ids
        ]

    def find(self, status_id: str, transition_id: str) -> Transition | None:
        """The transition with this id if it is available from `status_id`."""
        for transition in self.available(status_id):
            if transition.id == transition_id:
                return transition
        return None

    def is_done(self, status_id: str) -> bool:
        return self.statuses[status_id].category.key == "done"
