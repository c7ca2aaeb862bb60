"""The sandbox itself, without HTTP: seed, clock, state, workflow, knobs and stats wired
together. `create_app` puts HTTP in front of it; tests and benchmarks may also drive it directly
(through `state`, holding `state.lock`) to load data fast.
"""

from __future__ import annotations

from typing import Any

from jira_sandbox.clock import SandboxClock
from jira_sandbox.config import SandboxConfig
from jira_sandbox.docs import labels_of, make_doc
from jira_sandbox.jql.model import IssueDoc
from jira_sandbox.knobs import RuntimeKnobs
from jira_sandbox.model import User
from jira_sandbox.seed import Seed, load_seed
from jira_sandbox.seed_loader import load_seed_issues
from jira_sandbox.state import SandboxState
from jira_sandbox.stats import RequestStats
from jira_sandbox.workflow import Workflow


class Sandbox:
    def __init__(
        self, config: SandboxConfig, *, seed: Seed | None = None, clock: SandboxClock | None = None
    ) -> None:
        self.config = config
        self.seed = seed if seed is not None else load_seed(config.seed_path)
        self.clock = clock if clock is not None else SandboxClock()
        self.knobs = RuntimeKnobs(config.knobs)
        self.stats = RequestStats()
        self.state: SandboxState[IssueDoc] = SandboxState(
            self.seed,
            self.clock,
            make_doc=make_doc,
            labels_of=labels_of,
            index_lag_ms=lambda: self.knobs.settings.index_lag_ms,
        )
        self.state.gdpr_strict = config.is_cloud
        self.workflow = Workflow(self.seed.transitions, self.state.statuses)
        with self.state.lock:
            load_seed_issues(self.state, self.workflow)

    @property
    def is_cloud(self) -> bool:
        return self.config.is_cloud

    def user(self, name: str) -> User:
        return self.state.users[name]

    def reset(self) -> None:
        """Back to the seed: issues, stats, knobs and clock as at start."""
        with self.state.lock:
            self.knobs.reset()
            self.clock.reset()
            self.state.clear()
            load_seed_issues(self.state, self.workflow)
            self.stats.reset()

    def update_knobs(self, patch: dict[str, Any]) -> None:
        with self.state.lock:
            self.knobs.update(patch)
            if self.knobs.settings.index_lag_ms == 0:
                self.state.search_index.flush()
