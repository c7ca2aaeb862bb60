"""A row that `accept` returned for is on disk: a SIGKILL right afterwards does not lose it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from csp_jira_sync.store import Store

CHILD = """
import sys, time
from datetime import UTC, datetime
from csp_jira_sync.store import InboxItem, Store

store = Store.open(sys.argv[1])
store.migrate()
now = datetime.now(UTC)
items = [
    InboxItem("escalation", "noc", f"evt-{n}", "NOC-9", "acme", now, {"n": n}) for n in range(50)
]
for start in range(0, 50, 10):
    store.accept(items[start : start + 10])
print("accepted", flush=True)
time.sleep(60)  # killed long before this ends; nothing gets a chance to flush or close
"""


def test_rows_accepted_before_a_sigkill_are_there_after_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    child = subprocess.Popen([sys.executable, "-c", CHILD, url], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "accepted"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    store = Store.open(url)
    try:
        assert store.depth() == {"pending": 50, "done": 0, "dead": 0}
    finally:
        store.close()
