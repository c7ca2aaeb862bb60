"""Benchmark: reading CSP worklogs back from Jira for the allowance ledger (issue 8).

Loads a sandbox (Cloud on REST v3 by default, or Data Center on v2) through its state API (as
bench_sandbox.py does) with one month of work,
then reads it over real HTTP on loopback with `allowance.reading.JiraWorklogSource`:
- a full month read (issues paged by worklogDate JQL with their embedded worklogs, an issue's
  own worklog pages only where the embedded list stopped at 20), side by side with the
  per-issue approach (the same search, then one worklog call per issue), in one run;
- the incremental pass: the first one from cursor 0, then a steady-state pass with no change.

Figures: Jira calls; wall time end to end (reader + HTTP + the in-process sandbox answering)
beside the reader's own share (end to end minus the time spent inside Jira calls); memory as
the reader's peak Python heap during the read (tracemalloc, in a separate run so it does not
slow the timed one; it includes the sandbox's response rendering, which shares the process)
beside the process's peak RSS (sandbox data included).

Run: .venv/bin/python bench/bench_allowance.py [--issues N] [--worklogs N] [--heavy N]
     [--deployment cloud|datacenter]
It prints the figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import jira

from csp_jira_sync.allowance.reading import JiraWorklogSource, facts_from, worklog_from
from csp_jira_sync.jira.gateway import JiraGateway
from jira_sandbox import SandboxConfig, start_sandbox
from jira_sandbox.issue_service import create_issue
from jira_sandbox.timefmt import format_ms
from jira_sandbox.worklog_service import add_worklog

T = TypeVar("T")
CUSTOMERS = 40
ACTIVITIES = ("csp-patching", "csp-backup", "csp-monitoring", "csp-security", "csp-network")
MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
MONTH_END = datetime(2026, 12, 1, tzinfo=UTC)
DAY_MS = 86_400_000
HEAVY_WORKLOGS = 60  # worklogs in the month on each long-running issue


@dataclass
class Counted:
    calls: Counter[str]
    jira_seconds: float = 0.0

    def observe(self, operation: str, outcome: str, seconds: float) -> None:
        self.calls[operation] += 1
        self.jira_seconds += seconds

    def clear(self) -> None:
        self.calls.clear()
        self.jira_seconds = 0.0


def worklog_counts(issues: int, worklogs: int, heavy: int) -> list[int]:
    """How many worklogs each issue gets in the month: `heavy` long-running issues carry
    HEAVY_WORKLOGS each (past Jira's 20 embedded), the rest share the remainder evenly."""
    rest = worklogs - heavy * HEAVY_WORKLOGS
    light = issues - heavy
    if light <= 0 or rest < 0:
        raise SystemExit(f"--heavy {heavy} leaves no room: {issues} issues, {worklogs} worklogs")
    base, extra = divmod(rest, light)
    counts = [base + (1 if n < extra else 0) for n in range(light)]
    stride = max(1, issues // max(heavy, 1))
    for n in range(heavy):
        counts.insert(min(n * stride, len(counts)), HEAVY_WORKLOGS)
    return counts


def load(running: Any, counts: list[int]) -> float:
    sandbox = running.sandbox
    state = sandbox.state
    clock = sandbox.clock
    people = [state.users[n] for n in ("csp.alice", "csp.bob", "csp.chen", "noc.dave", "noc.erin")]
    month_ms = int(MONTH_START.timestamp() * 1000)
    started = time.perf_counter()
    clock.freeze(month_ms)
    with state.lock:
        serial = 0
        for n, count in enumerate(counts):
            fields = {
                "project": {"key": "CSP"},
                "issuetype": {"name": ("Incident", "Service Request", "Task")[n % 3]},
                "summary": f"CSP work {n:05d} for customer {n % CUSTOMERS}",
                "labels": [
                    "csp",
                    f"customer-c{n % CUSTOMERS:02d}",
                    ACTIVITIES[n % len(ACTIVITIES)],
                ],
            }
            issue = create_issue(state, sandbox.workflow, people[0], {"fields": fields}, 2)
            for _ in range(count):
                at = month_ms + (serial * 7919) % (29 * DAY_MS)  # spread over the month
                body = {"timeSpentSeconds": 900 + 60 * (serial % 30), "started": format_ms(at)}
                add_worklog(state, people[serial % len(people)], issue, body, {}, 2)
                serial += 1
            clock.advance(1000)
    clock.freeze(int(MONTH_END.timestamp() * 1000) + 9 * DAY_MS)  # all of it well settled
    state.search_index.flush()
    return time.perf_counter() - started


def gateway_for(running: Any, counted: Counted) -> JiraGateway:
    cloud = running.mode == "cloud"
    version = "3" if cloud else "2"
    client = jira.JIRA(
        server=running.base_url,
        basic_auth=running.credentials("csp-sync"),
        get_server_info=False,
        max_retries=0,
        options={"rest_api_version": version, "check_update": False},
    )
    return JiraGateway(
        client,
        server=running.base_url,
        api_version=version,
        deployment="cloud" if cloud else "datacenter",
        observe=counted.observe,
    )


def per_issue_month(gateway: JiraGateway) -> tuple[int, int]:
    """The approach the ledger avoids: find the month's issues, then one worklog call each."""
    jql = 'worklogDate >= "2026/10/31" AND worklogDate < "2026/12/02" ORDER BY key ASC'
    after = int(MONTH_START.timestamp() * 1000) - 1
    before = int(MONTH_END.timestamp() * 1000)
    issues = worklogs = 0
    for found in gateway.search(jql, fields=("labels", "summary")):
        facts_from(found)
        issues += 1
        for raw in gateway.issue_worklogs(
            found.ref.id, started_after_ms=after, started_before_ms=before
        ):
            worklog_from(raw, found.ref.id)
            worklogs += 1
    return issues, worklogs


def timed(counted: Counted, action: Callable[[], T]) -> tuple[T, float]:
    counted.clear()
    gc.collect()
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def heap_peak_mb(action: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        result = action()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return (peak - baseline) / 2**20


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(name: str, calls: int, seconds: float, jira_seconds: float, extra: str = "") -> str:
    own = seconds - jira_seconds
    return (
        f"  {name:34s} {calls:6,d} calls   end-to-end {seconds:7.2f} s   "
        f"reader's own {own:6.2f} s{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=5_000)
    parser.add_argument("--worklogs", type=int, default=50_000)
    parser.add_argument(
        "--heavy",
        type=int,
        default=75,
        help=f"issues with {HEAVY_WORKLOGS} worklogs in the month (past the 20 Jira embeds)",
    )
    parser.add_argument("--deployment", choices=("cloud", "datacenter"), default="cloud")
    args = parser.parse_args()
    counts = worklog_counts(args.issues, args.worklogs, args.heavy)
    print(
        f"Allowance reading benchmark ({args.deployment} sandbox, loopback): {len(counts):,} issues, "
        f"{sum(counts):,} worklogs in November 2026; {args.heavy} issues carry "
        f"{HEAVY_WORKLOGS} worklogs, the others {min(c for c in counts)}-"
        f"{max(c for c in counts if c != HEAVY_WORKLOGS)}"
    )
    with start_sandbox(SandboxConfig(mode=args.deployment)) as running:
        seconds = load(running, counts)
        print(
            f"  loaded through the state API in {seconds:.1f} s; process peak RSS {rss_mb():.0f} MB"
        )
        counted = Counted(Counter())
        gateway = gateway_for(running, counted)
        source = JiraWorklogSource(gateway)

        print("Full month read")
        read, took = timed(counted, lambda: source.month(MONTH_START, MONTH_END))
        ours_calls = sum(counted.calls.values())
        print(
            line("worklogDate JQL + embedded lists", ours_calls, took, counted.jira_seconds)
            + f"   ({dict(counted.calls)}; {len(read.issues):,} issues, "
            f"{len(read.worklogs):,} worklogs)"
        )
        del read
        (issues, worklogs), took = timed(counted, lambda: per_issue_month(gateway))
        per_issue_calls = sum(counted.calls.values())
        print(
            line("per issue (one worklog call each)", per_issue_calls, took, counted.jira_seconds)
            + f"   ({dict(counted.calls)}; {issues:,} issues, {worklogs:,} worklogs)"
        )
        print(f"  calls: {per_issue_calls / ours_calls:.1f} times fewer than per issue")
        pages = -(-len(counts) // 100)
        print(
            f"  each issue past 20 worklogs in the month costs one more call; at {pages} search "
            f"pages, 30 times fewer holds up to {per_issue_calls // 30 - pages} such issues"
        )
        peak = heap_peak_mb(lambda: source.month(MONTH_START, MONTH_END))
        print(
            f"  memory: reader's peak Python heap during the month read {peak:.0f} MB; "
            f"process peak RSS (sandbox data included) {rss_mb():.0f} MB"
        )

        print("Incremental pass")
        changes, took = timed(counted, lambda: source.changes_since(0))
        print(
            line(
                "first pass from cursor 0", sum(counted.calls.values()), took, counted.jira_seconds
            )
            + f"   ({dict(counted.calls)}; {len(changes.updated):,} worklogs)"
        )
        cursor = changes.next_since_ms
        del changes
        running.sandbox.clock.advance(10 * 60_000)
        again, took = timed(counted, lambda: source.changes_since(cursor))
        print(
            line("steady state, no change", sum(counted.calls.values()), took, counted.jira_seconds)
            + f"   ({dict(counted.calls)}; {len(again.updated)} worklogs)"
        )
        restarted = JiraWorklogSource(gateway)
        again, took = timed(counted, lambda: restarted.changes_since(cursor))
        print(
            line("same, fresh process at the cursor", sum(counted.calls.values()), took,
                 counted.jira_seconds)
            + f"   ({dict(counted.calls)}; re-reads the overlap at the cursor once)"
        )  # fmt: skip


if __name__ == "__main__":
    main()
