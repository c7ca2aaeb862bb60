"""The trend report's own cost: reading a month of escalations from the store (Jira answered
by an in-memory stand-in that counts the searches), computing every scope's numbers, and
rendering the descriptions, CSV and PNG charts.

Run: .venv/bin/python bench/bench_trends.py [--escalations N] [--database URL]

Prints seconds for each step, the Jira searches made, and peak Python memory (tracemalloc).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.delivery import journal
from csp_jira_sync.jira.model import FoundIssue, IssueRef
from csp_jira_sync.reports.run import TrendReport, trend_reports
from csp_jira_sync.store import InboxItem, Store

REPO = Path(__file__).resolve().parent.parent
START = datetime(2026, 10, 1, tzinfo=UTC)
DONE = {"name": "Done", "statusCategory": {"key": "done"}}


class CountingJira:
    deployment = "cloud"

    def __init__(self) -> None:
        self.searches = 0

    def search(
        self,
        jql: str,
        *,
        fields: Sequence[str] = (),
        reconcile: Sequence[str] = (),
        page_size: int = 50,
    ) -> Iterator[FoundIssue]:
        self.searches += 1
        for ident in jql.removeprefix("id in (").split(")")[0].split(", "):
            fields_ = {"status": DONE, "resolutiondate": "2026-11-20T10:00:00.000+0000"}
            labels = ("csp", "csp-cat-incident-problem")
            yield FoundIssue(
                IssueRef(ident, f"CSP-{ident}"), labels, "Done", "", "", "", "", fields_
            )


def seed(store: Store, count: int, customers: list[str]) -> None:
    rng = random.Random(7)
    items = []
    for n in range(count):
        first = START + timedelta(minutes=rng.randrange(61 * 24 * 60))
        base = {
            "escalation_id": f"ESC-{n}",
            "customer": rng.choice(customers),
            "title": f"Disk {rng.randrange(80, 100)}% full on db-{rng.randrange(20)}",
            "severity": rng.choice(["sev1", "sev2", "sev3", "sev4"]),
            "service": rng.choice(["db", "web", "mail", "dns"]),
            "datacenter": rng.choice(["nyc1", "ams2", "fra1"]),
            "fingerprint": rng.choice([None, f"fp-{rng.randrange(40)}"]),
        }
        for step, status in enumerate(("open", "acknowledged", "resolved")):
            when = first + timedelta(minutes=step * rng.randrange(5, 240))
            items.append(
                InboxItem.of_escalation(
                    EscalationEvent.model_validate(
                        {**base, "event_id": f"E-{n}-{step}", "status": status, "occurred_at": when}
                    )
                )
            )
    for chunk in range(0, len(items), 5_000):
        store.accept(items[chunk : chunk + 5_000])
    now = datetime.now(UTC)
    with store.transaction("bench: the create ledger") as conn:
        for n in range(count):
            journal.claim_create(
                conn, "escalation", f"ESC-{n}", 1, f"r{n}", now, previous_start=None
            )
            journal.record_created(
                conn, "escalation", f"ESC-{n}", 1, IssueRef(str(10_000 + n), f"CSP-{n}"), now
            )


def run(
    store: Store, jira: CountingJira, mappings: Mappings, kind: str, spec: str
) -> list[TrendReport]:
    return trend_reports(
        store,
        jira,
        mappings,
        report_timezone="UTC",
        now=datetime.now(UTC),
        kind=kind,  # type: ignore[arg-type]
        spec=spec,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--escalations", type=int, default=5_000)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    mappings = load_mappings(REPO / "mappings")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.sqlite"
        store = Store.open(url)
        store.migrate()
        began = time.perf_counter()
        seed(store, args.escalations, sorted(mappings.customers))
        print(
            f"seeded {args.escalations:,} escalations (3 events each): {time.perf_counter() - began:.1f} s"
        )
        for kind, spec in (("week", "2026-W47"), ("month", "2026-11")):
            jira = CountingJira()

            # Timed without tracemalloc (it slows Python several times), then traced.
            began = time.perf_counter()
            reports = run(store, jira, mappings, kind, spec)
            took = time.perf_counter() - began
            searches = jira.searches
            tracemalloc.start()
            run(store, jira, mappings, kind, spec)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            counted = sum(r.trends.total.current for r in reports if r.trends.scope == "all")
            print(
                f"{kind} {spec}: {len(reports)} reports (all + each customer), "
                f"{counted:,} escalations counted in the all-customer report, "
                f"{searches} Jira searches, {took:.1f} s (read, compute, render, charts), "
                f"peak heap {peak / 2**20:.0f} MB"
            )
        store.close()


if __name__ == "__main__":
    main()
