"""What holding events behind dead letters costs the worker's claim, and what `held()` costs.

Run: .venv/bin/python bench/bench_claim.py [--events N] [--dead D]
     (under scripts/with-postgres, PostgreSQL is measured too)

Fills a fresh store with N pending escalation events over N/10 escalations, dead-letters the
first event of D of them (so each holds 9 events back), then prints the median time of
claim(50) (which skips held events) and of held() (the count behind `dead-letters`, `check`
and /metrics), each over 20 runs, on SQLite and, when CSP_TEST_POSTGRES_URL is set, PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from csp_jira_sync.store import InboxItem, Store

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def fill(store: Store, events: int, dead: int) -> None:
    items = [
        InboxItem(
            kind="escalation",
            source="noc",
            event_id=f"evt-{n}",
            subject=f"NOC-{n // 10}",
            customer="acme",
            occurred_at=T0 + timedelta(seconds=n),
            payload={"n": n},
        )
        for n in range(events)
    ]
    for start in range(0, len(items), 1000):
        store.accept(items[start : start + 1000], now=T0)
    with store.transaction("dead-lettering the first events") as conn:
        conn.execute(
            text(
                "UPDATE inbox SET state = 'dead' WHERE id IN "
                "(SELECT MIN(id) FROM inbox GROUP BY subject ORDER BY MIN(id) LIMIT :dead)"
            ),
            {"dead": dead},
        )


def median_ms(call: Callable[[], object], runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(name: str, url: str, events: int, dead: int) -> None:
    store = Store.open(url)
    store.migrate()
    fill(store, events, dead)
    held = store.held()
    # A claim far in the past leases nothing that a later run would skip.
    claim = median_ms(lambda: store.claim(50, T0, timedelta(0)))
    count = median_ms(store.held)
    print(
        f"{name:10} {events} events, {held.dead_letters} dead letters holding {held.events}: "
        f"claim(50) {claim:.2f} ms, held() {count:.2f} ms (median of 20)"
    )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--dead", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        measure("sqlite", f"sqlite:///{Path(directory) / 'bench.sqlite'}", args.events, args.dead)
    postgres = os.environ.get("CSP_TEST_POSTGRES_URL")
    if postgres:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(postgres).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            measure("postgresql", url.render_as_string(hide_password=False), args.events, args.dead)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
