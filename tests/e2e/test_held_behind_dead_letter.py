"""Issue 7 end to end: Jira refuses an escalation's open (its priority does not exist), so its
later acknowledge, resolve and reopen are held instead of applied on state the open never set.
The operator fixes the mapping, restarts and requeues the dead letter: the open goes first,
then the held events in order, and the issue ends reopened with one comment per event."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from csp_jira_sync.config.references import event_marker
from csp_jira_sync.settings import PROJECT_ROOT
from tests.e2e.harness import T0, noc_event, running_daemon

LIFECYCLE = [
    ("esc-open", "open", 0),
    ("esc-ack", "acknowledged", 5),
    ("esc-resolve", "resolved", 20),
    ("esc-reopen", "open", 45),
]


def _mappings_with_sev2_as(priority: str, tmp_path: Path) -> Path:
    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    path = mappings / "escalation.yaml"
    text = path.read_text()
    assert "sev2: High" in text
    path.write_text(text.replace("sev2: High", f"sev2: {priority}"))
    return mappings


def test_a_refused_open_holds_its_later_events_until_it_is_requeued(
    sandbox: Any, tmp_path: Path
) -> None:
    broken = _mappings_with_sev2_as("Urgent", tmp_path)  # no such priority in Jira
    with running_daemon(sandbox.base_url, tmp_path, mappings_dir=broken) as daemon:
        for event_id, status, minutes in LIFECYCLE:
            payload = noc_event(event_id, status, T0 + timedelta(minutes=minutes))
            assert daemon.post(payload).status_code == 202
        store = daemon.app.store
        deadline = time.monotonic() + 30
        while not (store.depth()["dead"] == 1 and store.held().events == 3):
            assert time.monotonic() < deadline, (store.depth(), store.held())
            daemon.app.wake.set()
            time.sleep(0.05)
        [dead] = store.dead_letters()
        assert dead.event_id == "esc-open" and "priority" in (dead.last_error or "").lower()
        assert store.held().by_dead_letter == {dead.id: 3}
        # Held events wait for an operator: waiting for the queue to drain does not wait them out.
        daemon.drain(timeout=5)
    assert sandbox.admin.issues() == []  # nothing was applied behind the refused open

    # The operator fixes the mapping, restarts the daemon and requeues the dead letter.
    shutil.rmtree(broken)
    fixed = _mappings_with_sev2_as("High", tmp_path)
    with running_daemon(sandbox.base_url, tmp_path, mappings_dir=fixed) as daemon:
        assert daemon.app.store.requeue_dead([dead.id]) == 1
        daemon.drain()
        assert daemon.app.store.depth() == {"pending": 0, "done": 4, "dead": 0}
    [issue] = sandbox.admin.issues()
    assert issue["status"] == "To Do"  # reopened: the reopen came last
    assert issue["priority"] == "High"
    bodies = [comment["body"] for comment in issue["comments"]]
    markers = [event_marker("escalation", event_id) for event_id, *_ in LIFECYCLE[1:]]
    positions = [next(i for i, b in enumerate(bodies) if m in b) for m in markers]
    assert positions == sorted(positions), "the held events were applied out of order"
    assert all(sum(m in b for b in bodies) == 1 for m in markers)
