"""The generation-boundary repair of a late escalation event (escalations/late_handler.py),
killed at each of its steps and run again: the NOC-32239 pattern (open, then a reopen past the
window applied as a comment, then the resolve between them) ends with the first issue resolved
carrying the resolve's comment only, and generation 2 raised by the reopen, with no comment
posted twice, none left behind and no second issue. Real handler, real SQLite store, the
in-memory fake gateway; a kill is an exception no handler catches, raised before the named
Jira call, after which the row's lease is given back as a restarted daemon does."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from csp_jira_sync.classify import compile_rules, load_classification_rules
from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.config.references import event_marker, ref_label
from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.context import HandlerContext
from csp_jira_sync.delivery.kinds import handlers_for
from csp_jira_sync.delivery.worker import Worker, WorkerConfig
from csp_jira_sync.reconcile.retention import purge_subjects
from csp_jira_sync.settings import PROJECT_ROOT
from csp_jira_sync.store import InboxItem, Store
from tests.support.fake_gateway import FakeClock, FakeGateway

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class Killed(BaseException):
    """SIGKILL: nothing after it runs, no handler sees it."""


def _event(event_id: str, status: str, days: int) -> InboxItem:
    return InboxItem.of_escalation(
        EscalationEvent(
            event_id=event_id,
            escalation_id="NOC-32239",
            customer="acme",
            title="Packet loss on VA1 edge routers",
            severity="sev2",
            status=status,
            occurred_at=T0 + timedelta(days=days),
        )
    )


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.store = Store.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
        self.store.migrate()
        mappings = load_mappings(PROJECT_ROOT / "mappings")
        rules = compile_rules(
            load_classification_rules(PROJECT_ROOT / "mappings", mappings.catalog),
            mappings.catalog,
        )
        self.clock = FakeClock(NOW)
        self.gateway = FakeGateway(self.clock)
        context = HandlerContext(
            store=self.store,
            gateway=self.gateway,
            mappings=mappings,
            rules=rules,
            project="CSP",
            search_settle=timedelta(seconds=60),
            clock=self.clock,
        )
        self.handler = handlers_for(context)["escalation"]
        self.worker = Worker(self.store, handlers_for(context), WorkerConfig(), clock=self.clock)

    def deliver(self, item: InboxItem) -> None:
        self.store.accept([item], now=self.clock())
        self.drain()

    def drain(self) -> None:
        for _ in range(50):
            self.worker.run_once()
            if not self.store.depth().get("pending", 0):
                return
            self.clock.advance(timedelta(minutes=5))
        raise AssertionError("the inbox did not drain")

    def run_killed(self) -> None:
        """Claim the waiting event and run its handler until the kill; then restart."""
        [row] = self.store.claim(10, self.clock(), timedelta(minutes=2))
        with pytest.raises(Killed):
            self.handler(row)
        self.store.release_leases()

    def issues(self) -> dict[int, Any]:
        found: dict[int, Any] = {}
        for issue in self.gateway.issues.values():
            for generation in (1, 2, 3):
                if ref_label("escalation", "NOC-32239", generation) in issue.labels:
                    assert generation not in found, "a second issue for one generation"
                    found[generation] = issue
        return found


def kill(_: str = "") -> None:
    raise Killed


KILL_POINTS = {
    # Before any comment of a moved event is deleted (the comments are read).
    "before the deletes": ("delete_comment",),
    # The moved events' comments deleted, the late event marked, its call not sent.
    "before the resolve": ("transition",),
    # The repair committed; the requeued reopen is about to raise generation 2.
    "before generation 2 is raised": ("create",),
}


@pytest.mark.parametrize("point", [*KILL_POINTS, "resolve answered with a timeout", "none"])
def test_a_boundary_repair_killed_at_any_step_ends_as_the_nocs_order_does(
    tmp_path: Path, point: str
) -> None:
    world = World(tmp_path)
    world.deliver(_event("e1", "open", 0))
    world.deliver(_event("e3", "open", 10))  # past the reopen window of the resolve below
    [only] = world.issues().values()
    assert len(only.comments) == 1  # the reopen, applied as "update without a status change"

    world.store.accept([_event("e2", "resolved", 1)], now=world.clock())
    if point in KILL_POINTS:
        for operation in KILL_POINTS[point]:
            world.gateway.on_next(operation, kill)  # type: ignore[arg-type]
        if point != "before generation 2 is raised":
            world.run_killed()
        else:
            with pytest.raises(Killed):
                world.drain()
            world.store.release_leases()
    elif point == "resolve answered with a timeout":
        world.gateway.fail_next("transition", "transient-after")
    world.drain()

    issues = world.issues()
    assert sorted(issues) == [1, 2]
    first, second = issues[1], issues[2]
    assert first.status == "Done"
    assert [event_marker("escalation", "e2") in c for c in first.comments] == [True]
    assert second.status == "To Do"
    assert event_marker("escalation", "e3") in second.draft.description
    assert second.comments == []
    assert [link.outward_issue_key for link in second.draft.links] == [first.ref.key]
    markers = Counter(
        marker
        for issue in issues.values()
        for text in (issue.draft.description, *issue.comments)
        for marker in ("e1", "e2", "e3")
        if event_marker("escalation", marker) in text
    )
    assert markers == {"e1": 1, "e2": 1, "e3": 1}
    with world.store.transaction("reading", read_only=True) as conn:
        state = journal.escalation_state(conn, "NOC-32239")
    assert state is not None
    assert (state.generation, state.status) == (2, "open")


def test_a_late_event_of_an_escalation_purged_by_retention_is_a_comment_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Retention emptied the payloads and deleted the marks of the escalation's events: the
    replay cannot know them, so the late resolve is a comment, as before, and the log says
    why; nothing is deleted and no generation 2 is raised."""
    world = World(tmp_path)
    world.deliver(_event("e1", "open", 0))
    world.deliver(_event("e3", "open", 10))
    purge_subjects(
        world.store, [("escalation", "NOC-32239", 2)], world.clock() + timedelta(days=1), NOW
    )
    with caplog.at_level("WARNING"):
        world.deliver(_event("e2", "resolved", 1))
    [only] = world.issues().values()
    assert only.status == "To Do"
    assert len(only.comments) == 2 and "arrived late" in only.comments[1]
    assert any("worker.late_not_replayed" in r.getMessage() for r in caplog.records)
    assert "purged by retention" in caplog.text
