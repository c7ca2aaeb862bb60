"""Two daemons on one PostgreSQL against one (issue 10): the same stream delivered into one
sandbox with Jira latency, once by one daemon and once by two sharing the database; the time
from the first event accepted to the last one in Jira, each event's accept-to-Jira delay, and
the duplicates (issues per reference label, comments per event marker: both must be 0).

Each daemon runs the worker as `serve` does, with its default lanes and Jira pacer (16 calls in
flight at most): two daemons in one process share its one Python interpreter, so what this
shows is that they share the inbox without a duplicate, more than how much faster two are.

    scripts/with-postgres .venv/bin/python bench/bench_two_daemons.py \\
        [--escalations 150] [--latency-ms 150]

Both daemons run in this process (receiver and worker threads each, their own store and Jira
gateway), as `start_daemon` runs them for the tests; the events are sent half to each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pydantic import SecretStr
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from csp_jira_sync.config.references import event_marker
from csp_jira_sync.demo.run import new_webhook_secret, signed_post
from csp_jira_sync.runtime.bootstrap import build_app
from csp_jira_sync.runtime.daemon import start_daemon
from csp_jira_sync.settings import Settings
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import inbox
from jira_sandbox.config import KnobSettings, SandboxConfig
from jira_sandbox.server import start_sandbox

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
CUSTOMERS = ("acme", "globex", "initech", "umbrella")


def stream(escalations: int) -> list[dict[str, Any]]:
    """Four events per escalation (open, acknowledged, resolved, reopened), in time order."""
    steps = [("open", 0), ("acknowledged", 5), ("resolved", 30), ("open", 35)]
    events = []
    for step, (status, minutes) in enumerate(steps):
        for n in range(escalations):
            events.append(
                {
                    "event_id": f"bench-{n}-{step}",
                    "escalation_id": f"NOC-{50000 + n}",
                    "customer": CUSTOMERS[n % len(CUSTOMERS)],
                    "title": "Packet loss on VA1 edge routers",
                    "description": "Loss between 2% and 7% on both uplinks.",
                    "severity": "sev2",
                    "status": status,
                    "service": "network",
                    "datacenter": "VA1",
                    "occurred_at": (T0 + timedelta(minutes=minutes, seconds=n)).isoformat(),
                }
            )
    return events


@contextmanager
def fresh_schema(admin_url: str) -> Iterator[str]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(admin_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def send(base_url: str, secret: str, events: Sequence[dict[str, Any]]) -> None:
    with requests.Session() as session:
        for event in events:
            response = signed_post(
                session, base_url + "/webhooks/noc", secret, event, f"msg_{event['event_id']}"
            )
            if response.status_code != 202:
                raise SystemExit(f"the daemon refused an event: {response.status_code}")


def run(
    daemons: int, sandbox: Any, admin_url: str, escalations: int, latency_ms: int
) -> dict[str, float]:
    events = stream(escalations)
    secret = new_webhook_secret()
    sandbox.reset()  # the knobs too
    sandbox.admin.set_knobs(latencyMs=latency_ms, indexLagMs=1000)
    with fresh_schema(admin_url) as database_url, ExitStack() as stack:
        running = []
        for _ in range(daemons):
            settings = Settings(
                jira_url=sandbox.base_url,
                database_url=database_url,
                webhook_secret=SecretStr(secret),
                jira_search_settle_seconds=3,
                worker_poll_seconds=0.05,
            )
            app = build_app(settings)
            stack.callback(app.close)
            running.append(stack.enter_context(start_daemon(app)))
        senders = [
            threading.Thread(target=send, args=(daemon.base_url, secret, events[n::daemons]))
            for n, daemon in enumerate(running)
        ]
        started = time.perf_counter()
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        store = Store.open(database_url)
        stack.callback(store.close)
        while True:
            depth = store.depth()
            if depth["pending"] == 0 and depth["done"] + depth["dead"] >= len(events):
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
        with store.engine.connect() as connection:
            rows = connection.execute(select(inbox.c.received_at, inbox.c.done_at)).all()
        dead = depth["dead"]
    delays = sorted((done - received).total_seconds() for received, done in rows if done)
    first = min(received for received, _ in rows)
    last = max(done for _, done in rows if done)
    issues = sandbox.admin.issues()
    per_ref = Counter(
        label for issue in issues for label in issue["labels"] if label.startswith("csp-ref-")
    )
    bodies = "\n".join(comment["body"] for issue in issues for comment in issue["comments"])
    duplicate_comments = sum(
        1 for event in events if bodies.count(event_marker("escalation", event["event_id"])) > 1
    )
    return {
        "events": len(events),
        "wall": wall,
        "accept_to_last": (last - first).total_seconds(),
        "p50": statistics.median(delays),
        "p99": delays[min(len(delays) - 1, int(len(delays) * 0.99))],
        "calls": sandbox.admin.stats()["total"],
        "dead": dead,
        "duplicate_issues": sum(count - 1 for count in per_ref.values()),
        "duplicate_comments": duplicate_comments,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--escalations", type=int, default=150)
    parser.add_argument("--latency-ms", type=int, default=150)
    args = parser.parse_args()
    admin_url = os.environ.get("CSP_BENCH_POSTGRES_URL") or os.environ.get("CSP_TEST_POSTGRES_URL")
    if not admin_url:
        sys.exit(
            "no PostgreSQL: run under scripts/with-postgres, or set CSP_BENCH_POSTGRES_URL "
            "to a postgresql+psycopg:// URL this benchmark may create schemas in"
        )
    results = {}
    with start_sandbox(SandboxConfig(knobs=KnobSettings())) as sandbox:
        for daemons in (1, 2):
            results[daemons] = run(daemons, sandbox, admin_url, args.escalations, args.latency_ms)
    print(
        f"stream: {args.escalations} escalations, {results[1]['events']:.0f} events; "
        f"sandbox latency {args.latency_ms} ms per call, index lag 1000 ms; PostgreSQL; "
        "each daemon with its default lanes and pacer, both in this one process"
    )
    print(f"{'':28}{'1 daemon':>12}{'2 daemons':>12}")
    rows = [
        ("first accepted -> last in Jira", "accept_to_last", "{:.1f} s"),
        ("wall (sending included)", "wall", "{:.1f} s"),
        ("accept-to-Jira p50", "p50", "{:.2f} s"),
        ("accept-to-Jira p99", "p99", "{:.2f} s"),
        ("Jira calls", "calls", "{:.0f}"),
        ("dead letters", "dead", "{:.0f}"),
        ("duplicate issues", "duplicate_issues", "{:.0f}"),
        ("duplicate comments", "duplicate_comments", "{:.0f}"),
    ]
    for title, key, form in rows:
        print(f"{title:28}{form.format(results[1][key]):>12}{form.format(results[2][key]):>12}")
    speedup = results[1]["accept_to_last"] / results[2]["accept_to_last"]
    print(f"two daemons deliver {speedup:.2f}x as fast as one")


if __name__ == "__main__":
    main()
