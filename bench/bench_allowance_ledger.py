"""The allowance ledger's own cost (the store side; Jira calls are bench_allowance_reads.py's,
on branch h5): landing a full read of a month of 5,000 issues and 50,000 worklogs into the
ledger, recomputing every customer-month, and a second identical read (the hourly re-read).

Run: .venv/bin/python bench/bench_allowance_ledger.py [--issues N] [--worklogs M] [--database URL]

Prints seconds and peak Python memory (tracemalloc) for each step, on SQLite by default.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from csp_jira_sync.allowance.facts import IssueFacts, MonthRead, Worklog, WorklogChanges
from csp_jira_sync.allowance.job import run_allowance_pass
from csp_jira_sync.allowance.ledger import allowance_summaries
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.store import Store

REPO = Path(__file__).resolve().parent.parent
MONTH = Month(2026, 10)


class FixedMonth:
    """A WorklogSource that answers every month read with the same generated month."""

    def __init__(self, read: MonthRead, staff: frozenset[str]) -> None:
        self._read, self._staff = read, staff

    def changes_since(self, since_ms: int) -> WorklogChanges:
        return WorklogChanges((), (), (), since_ms)

    def month(self, start: datetime, end: datetime) -> MonthRead:
        return self._read

    def group_members(self, group: str) -> frozenset[str]:
        return self._staff


def generate(issues: int, worklogs: int, seed: int = 8) -> MonthRead:
    mappings = load_mappings(REPO / "mappings")
    rng = random.Random(seed)
    customers = [c.label for c in mappings.customers.values()]
    activities = [a.label for a in mappings.catalog.activities()]
    facts = []
    for n in range(issues):
        labels = ["csp", rng.choice(customers)]
        roll = rng.random()
        if roll < 0.9:
            labels.append(rng.choice(activities))
        elif roll < 0.95:
            labels.append("csp-out-of-scope")
        facts.append(IssueFacts(str(10000 + n), f"CSP-{n + 1}", tuple(labels)))
    start = datetime(2026, 10, 1, 6, tzinfo=UTC)
    logs = []
    for n in range(worklogs):
        started = start + timedelta(minutes=rng.randrange(0, 29 * 24 * 60))
        author = rng.choice(["csp.alice", "csp.bob", "csp.carol", "noc.dave"])
        issue = facts[n % issues]
        logs.append(Worklog(str(n + 1), issue.id, author, author, started, 900, started))
    return MonthRead(tuple(facts), tuple(logs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=5_000)
    parser.add_argument("--worklogs", type=int, default=50_000)
    parser.add_argument("--database", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    mappings = load_mappings(REPO / "mappings")
    read = generate(args.issues, args.worklogs)
    source = FixedMonth(read, frozenset({"csp.alice", "csp.bob", "csp.carol"}))
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(args.database or f"sqlite:///{folder}/bench.sqlite")
        store.migrate()
        now = datetime(2026, 10, 30, 12, tzinfo=UTC)
        for label in ("first month read", "same month read again"):
            tracemalloc.start()
            started = time.perf_counter()
            done = run_allowance_pass(
                store, source, None, mappings, clock=lambda: now, read_months=(MONTH,)
            )
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            print(
                f"{label}: {args.issues:,} issues, {done['worklogs_read']:,} worklogs, "
                f"{seconds:.2f} s, peak {peak:.0f} MB (Python heap), "
                f"{done['customer_months_touched']} customer-months touched"
            )
        started = time.perf_counter()
        summaries = allowance_summaries(store, mappings, month=MONTH, customer=None, now=now)
        seconds = time.perf_counter() - started
        print(f"`allowance` for {len(summaries)} customers: {seconds * 1000:.0f} ms")
        store.close()


if __name__ == "__main__":
    main()
