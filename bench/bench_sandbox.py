"""Benchmark: the Jira sandbox at scale (issue 2: 10,000 issues and 100,000 worklogs).

Loads the data through the state API (not HTTP), then times over real HTTP on loopback:
- a page of JQL search results (`/search/jql`, Cloud), label-indexed and full-scan queries;
- a full `/worklog/updated` walk (1,000 per page) plus `/worklog/list` for every id;
- the start-up of `csp-jira-sync sandbox` until it answers `serverInfo`.

Run: .venv/bin/python bench/bench_sandbox.py [--issues N] [--worklogs N]
It prints the figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from jira_sandbox import SandboxConfig, start_sandbox
from jira_sandbox.issue_service import create_issue
from jira_sandbox.worklog_service import add_worklog

CLI = Path(sys.executable).parent / "csp-jira-sync"  # the installed console script
CUSTOMERS = 50
DAY_MS = 86_400_000


def load(running: Any, issues: int, worklogs: int) -> float:
    sandbox = running.sandbox
    state = sandbox.state
    clock = sandbox.clock
    users = [state.users[name] for name in ("csp.alice", "csp.bob", "csp.chen", "noc.dave")]
    started = time.perf_counter()
    now = clock.now_ms()
    clock.freeze(now - 40 * DAY_MS)
    per_issue_ms = (30 * DAY_MS) // max(issues, 1)
    with state.lock:
        created = []
        for n in range(issues):
            fields = {
                "project": {"key": "CSP"},
                "issuetype": {"name": ("Incident", "Service Request", "Task")[n % 3]},
                "summary": f"Escalation NOC-{n:05d}: degraded service for customer {n % CUSTOMERS}",
                "labels": ["csp", f"csp-customer-c{n % CUSTOMERS:02d}", f"csp-ref-{n:05d}"],
                "priority": {"name": ("High", "Medium", "Low")[n % 3]},
            }
            issue = create_issue(state, sandbox.workflow, users[0], {"fields": fields}, 2)
            created.append(issue)
            clock.advance(per_issue_ms)
        step = (8 * DAY_MS) // max(worklogs, 1)
        for n in range(worklogs):
            issue = created[n % issues]
            body = {"timeSpentSeconds": 900 + 60 * (n % 30), "comment": f"work item {n}"}
            add_worklog(state, users[n % len(users)], issue, body, {"adjustEstimate": "leave"}, 2)
            clock.advance(step)
    clock.reset()  # back to real time: everything loaded is older than a minute
    return time.perf_counter() - started


def timed(call: Any, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   (n={len(times)})"


def bench_search(base: str, session: requests.Session) -> None:
    queries = {
        "labels = one customer, 100/page": (
            "project = CSP AND labels = csp-customer-c07 ORDER BY created DESC",
            "summary,labels,status,priority",
        ),
        "labels = one ref (dedup lookup)": ('labels = "csp-ref-04711"', "key"),
        "full scan: status + type, 100/page": (
            'project = CSP AND status = "To Do" AND issuetype = Incident ORDER BY updated DESC',
            "summary,status",
        ),
        "full scan: text ~, 100/page": ('project = CSP AND summary ~ "NOC-0471*"', "summary"),
    }
    for name, (jql, fields) in queries.items():
        params = {"jql": jql, "fields": fields, "maxResults": 100}

        def call(params: dict[str, Any] = params) -> None:
            answer = session.get(f"{base}/rest/api/3/search/jql", params=params, timeout=30)
            answer.raise_for_status()

        call()  # warm the JQL parse cache
        print(f"  search/jql  {name:38s} {summary(timed(call, 30))}")


def bench_worklog_walk(base: str, session: requests.Session) -> None:
    started = time.perf_counter()
    since = 0
    ids: list[int] = []
    seen: set[int] = set()
    pages = 0
    while True:
        page = session.get(
            f"{base}/rest/api/2/worklog/updated", params={"since": since}, timeout=30
        )
        body = page.json()
        pages += 1
        for value in body["values"]:
            if value["worklogId"] not in seen:
                seen.add(value["worklogId"])
                ids.append(value["worklogId"])
        if body["lastPage"]:
            break
        since = body["until"]
    walked = time.perf_counter() - started
    started = time.perf_counter()
    fetched = 0
    for offset in range(0, len(ids), 1000):
        answer = session.post(
            f"{base}/rest/api/2/worklog/list", json={"ids": ids[offset : offset + 1000]}, timeout=30
        )
        fetched += len(answer.json())
    listed = time.perf_counter() - started
    print(f"  worklog/updated walk: {len(ids):,} ids in {pages} pages: {walked:6.2f} s")
    print(
        f"  worklog/list fetch:   {fetched:,} worklogs in {len(ids) // 1000 + 1} calls: {listed:6.2f} s"
    )
    print(f"  walk + fetch total:   {walked + listed:6.2f} s")


def bench_startup(repeat: int = 3) -> None:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(CLI), "sandbox", "--port", "0", "--format", "json"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("}"):
                break
        base = json.loads("".join(lines))["baseUrl"]
        requests.get(f"{base}/rest/api/2/serverInfo", timeout=10).raise_for_status()
        times.append(time.perf_counter() - started)
        process.terminate()
        process.wait(timeout=10)
    print(
        f"  `csp-jira-sync sandbox` start-up until serverInfo answers: "
        f"median {statistics.median(times):.2f} s, worst {max(times):.2f} s (n={repeat})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--worklogs", type=int, default=100_000)
    args = parser.parse_args()

    print(f"Jira sandbox benchmark: {args.issues:,} issues, {args.worklogs:,} worklogs")
    with start_sandbox(SandboxConfig(mode="cloud")) as running:
        seconds = load(running, args.issues, args.worklogs)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  loaded through the state API in {seconds:.1f} s; peak RSS {rss_mb:.0f} MB")
        session = requests.Session()
        session.auth = running.credentials()
        bench_search(running.base_url, session)
        bench_worklog_walk(running.base_url, session)
    bench_startup()


if __name__ == "__main__":
    main()
