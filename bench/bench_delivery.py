"""Delivery benchmark (issue 10): how fast accepted NOC events reach Jira.

    .venv/bin/python bench/bench_delivery.py [--events 2000] [--escalations 400] [--senders 16]
        [--latency-ms 200] [--rate-limit 20] [--parts daemon,bridge,rate,component,daemons,hot]

- daemon: the real receiver + worker (its lanes and pacer, default settings, SQLite) against a
  sandbox answering every call after `--latency-ms`;
- bridge: a search-then-create bridge in the style of jiralert (below: search the label, then
  create or comment, synchronously, on each webhook) against a fresh sandbox, same stream;
- rate: the daemon again, with the sandbox limiting all calls to `--rate-limit` per second
  (Jira Cloud's 429 with Retry-After and X-RateLimit-* headers);
- component: the gateway and its pacer alone, 16 threads calling Jira as fast as they are let
  through, under the same rate limit (the end-to-end figure is `rate`);
- daemons: `--daemons` (2) daemons, each its own process, sharing one PostgreSQL (`--postgres`,
  or run under scripts/with-postgres; skipped without), the senders spread over them: the
  time against the `daemon` part (on the same PostgreSQL then), and the duplicates (0);
- hot: the daemon again, the same stream plus one busy escalation (`--hot-events` updates,
  a flapping alarm), with the sandbox's per-issue write limit on (`--issue-write-limit`,
  default 10 writes in 10 s: tight, so the busy issue meets it again and again). Jira's 429
  for it (`RateLimit-Reason: jira-per-issue-on-write`) concerns that one issue: the figure is
  how long the *other* escalations take against the `daemon` part, and the pauses it caused
  (target: none; the busy issue waits alone).

Each part gets its own sandbox, and the parts run one after the other so they do not compete
for the machine's two cores. The sandbox, the daemon and the bridge run in their own processes
(as they would in production); the senders are threads of this one, each event signed before
the clock starts. Every event's accept-to-Jira delay is read from where it is recorded: the
store's `received_at` / `done_at` for the daemon, the bridge's own clock for the bridge.

Targets: all 2,000 events in Jira within 30 s at 200 ms latency, at least 1.8 times faster
than the bridge, with half its calls; under a limit of R calls/s, at least 0.9 R delivered and
under 1% of calls answered 429. The machine is shared: the load average is printed beside.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "whsec_" + base64.b64encode(b"bench-delivery-webhook-secret-01").decode()
STATUSES = ("open", "open", "acknowledged", "open", "resolved")
JIRA_AUTH = ("csp-sync", "csp-sync-token")


# -- the processes ----------------------------------------------------------------------------


def role_sandbox(
    latency_ms: int, rate_limit: float | None, issue_write_limit: tuple[int, int] | None
) -> None:
    from jira_sandbox.config import KnobSettings, SandboxConfig
    from jira_sandbox.server import start_sandbox

    knobs = KnobSettings(
        latency_ms=latency_ms,
        rate_limit_per_s=rate_limit,
        issue_write_limits=(issue_write_limit,) if issue_write_limit else (),
    )
    with start_sandbox(SandboxConfig(knobs=knobs)) as sandbox:
        ready_cpu = _cpu_seconds()
        print(sandbox.base_url, flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                stats = sandbox.admin.stats()
                stats["cpu"] = _cpu_seconds() - ready_cpu
                print(json.dumps(stats), flush=True)
            if line.strip() == "issues":
                labels = [issue.get("labels", []) for issue in sandbox.admin.issues()]
                print(json.dumps(labels), flush=True)


class Breakdown:
    """Where the lanes' time goes (`--breakdown`): seconds spent by lane threads waiting for
    the pacer, holding a call slot (and of that, inside the HTTP request), waiting for a store
    transaction to begin (a pooled connection, SQLite's write lock), and inside one (its body
    and commit). Wrapped around the real methods in the daemon's process, lane threads only."""

    PARTS = ("lane", "pacer_wait", "slot", "http", "store_begin", "store_body")

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(self.PARTS, 0.0)
        self._lock = threading.Lock()
        self._local = threading.local()

    def add(self, part: str, seconds: float) -> None:
        if threading.current_thread().name.startswith("csp-lane"):
            with self._lock:
                self.seconds[part] += seconds

    def install(self) -> None:
        import contextlib

        from csp_jira_sync.delivery.lanes import Lanes
        from csp_jira_sync.jira.pacer import Pacer
        from csp_jira_sync.store.store import Store

        me = self
        tracked, acquire, release = Lanes._tracked, Pacer.acquire, Pacer.release
        transaction, request = Store.transaction, requests.Session.request

        def timed_tracked(self: Any, task: Any) -> Any:
            began = time.perf_counter()
            try:
                return tracked(self, task)
            finally:
                me.add("lane", time.perf_counter() - began)

        def timed_acquire(self: Any) -> None:
            began = time.perf_counter()
            acquire(self)
            me._local.slot = time.perf_counter()
            me.add("pacer_wait", me._local.slot - began)

        def timed_release(self: Any, call: Any) -> None:
            me.add("slot", time.perf_counter() - getattr(me._local, "slot", time.perf_counter()))
            release(self, call)

        @contextlib.contextmanager
        def timed_transaction(self: Any, action: str, **options: Any) -> Any:
            began = time.perf_counter()
            entered = False
            try:
                with transaction(self, action, **options) as connection:
                    entered = True
                    opened = time.perf_counter()
                    me.add("store_begin", opened - began)
                    yield connection
            finally:
                if entered:
                    me.add("store_body", time.perf_counter() - opened)

        def timed_request(self: Any, *args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return request(self, *args, **kwargs)
            finally:
                me.add("http", time.perf_counter() - began)

        Lanes._tracked = timed_tracked  # type: ignore[method-assign]
        Pacer.acquire = timed_acquire  # type: ignore[method-assign]
        Pacer.release = timed_release  # type: ignore[method-assign]
        Store.transaction = timed_transaction  # type: ignore[method-assign]
        requests.Session.request = timed_request  # type: ignore[method-assign]


def role_daemon(jira_url: str, database: str, breakdown: bool = False) -> None:
    from sqlalchemy import select

    from csp_jira_sync.demo.run import daemon_settings
    from csp_jira_sync.runtime.bootstrap import build_app, delivery_pace
    from csp_jira_sync.runtime.daemon import start_daemon
    from csp_jira_sync.store.schema import inbox

    settings = daemon_settings(jira_url, Path(database), SECRET)
    if database.startswith("postgresql"):
        settings = settings.model_copy(update={"database_url": database})
    app = build_app(settings)
    lanes_time = Breakdown()
    if breakdown:
        lanes_time.install()
    samples: list[tuple[int, int, float]] = []
    sampling = threading.Event()

    def sample() -> None:
        # What the lanes and the pacer were doing, ten times a second, while events were due.
        while not sampling.wait(0.1):
            pace = delivery_pace(app.worker, app.gateway._pacer)
            if app.store.depth().get("pending", 0):
                samples.append((pace.lanes_busy, pace.calls_in_flight, pace.concurrency_limit))

    with start_daemon(app) as daemon:
        ready_cpu = _cpu_seconds()  # what follows is intake and delivery, not start-up
        print(daemon.base_url, flush=True)
        threading.Thread(target=sample, daemon=True).start()
        sys.stdin.readline()  # "wait": every event is sent
        # Polled twice a second: the figures come from the rows' done_at, and a busier poll
        # only takes CPU from the daemon it measures.
        app.wait_until_drained(timeout=900, poll=0.5)
        sampling.set()
        metrics = requests.get(daemon.base_url + "/metrics", timeout=10).text
    with app.store.engine.connect() as connection:
        rows = connection.execute(
            select(inbox.c.received_at, inbox.c.done_at, inbox.c.state, inbox.c.subject)
        ).all()
    app.close()
    pace = {
        line.split()[0]: float(line.split()[1])
        for line in metrics.splitlines()
        if line.startswith(
            ("csp_jira_rate_limit", "csp_jira_concurrency_limit", "csp_jira_issue_write_limited")
        )
    }
    print(
        json.dumps(
            {
                "events": [
                    [r.received_at.timestamp(), r.done_at.timestamp() if r.done_at else None]
                    for r in rows
                ],
                "subjects": [r.subject for r in rows],
                "not_done": sum(1 for r in rows if r.state != "done"),
                "pace": pace,
                "cpu": _cpu_seconds() - ready_cpu,
                "busy": [sum(x[i] for x in samples) / max(1, len(samples)) for i in range(3)],
                "breakdown": lanes_time.seconds if breakdown else None,
            }
        ),
        flush=True,
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def role_bridge(jira_url: str) -> None:
    """A search-then-create bridge as simple as jiralert: on each webhook, search the label,
    then create the issue or comment on the one found, and answer when Jira has answered."""
    webhook = Webhook(SECRET)
    local = threading.local()
    timings: list[tuple[float, float]] = []
    lock = threading.Lock()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.auth = JIRA_AUTH
        found: requests.Session = local.session
        return found

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            accepted = time.time()
            body = self.rfile.read(int(self.headers["content-length"]))
            event = webhook.verify(body, dict(self.headers.items()))
            label = f"noc-{event['escalation_id']}"
            jira = session()
            found = jira.get(
                f"{jira_url}/rest/api/2/search/jql",
                params={"jql": f'labels = "{label}"', "fields": "summary"},
                timeout=30,
            ).json()
            issues = found.get("issues") or []
            text = f"{event['status']}: {event['title']} ({event['occurred_at']})"
            if issues:
                answer = jira.post(
                    f"{jira_url}/rest/api/2/issue/{issues[0]['id']}/comment",
                    json={"body": text},
                    timeout=30,
                )
            else:
                answer = jira.post(
                    f"{jira_url}/rest/api/2/issue",
                    json={
                        "fields": {
                            "project": {"key": "CSP"},
                            "issuetype": {"name": "Task"},
                            "summary": event["title"][:200],
                            "description": event["description"],
                            "labels": [label],
                        }
                    },
                    timeout=30,
                )
            with lock:
                timings.append((accepted, time.time()))
            self.send_response(200 if answer.ok else 502)
            self.send_header("content-length", "0")
            self.end_headers()

    ThreadingHTTPServer.request_queue_size = 128  # 16 senders connect at once
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ready_cpu = _cpu_seconds()
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.readline()
    server.shutdown()
    print(
        json.dumps(
            {
                "events": timings,
                "not_done": 0,
                "pace": {},
                "busy": [],
                "cpu": _cpu_seconds() - ready_cpu,
            }
        ),
        flush=True,
    )


# -- the stream and the senders ---------------------------------------------------------------


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]


def signed(
    webhook: Webhook, signed_at: datetime, message_id: str, event: dict[str, Any]
) -> Delivery:
    """One NOC event as its sender posts it: the JSON body with its Standard Webhooks headers."""
    body = json.dumps(event).encode()
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": webhook.sign(message_id, signed_at, body.decode()),
    }
    return Delivery(body, headers)


HOT_ESCALATION = "NOC-HOT"
HOT_LIMIT = "10/10000"


def stream(
    events: int, escalations: int, customers: list[str], hot_events: int = 0
) -> list[list[Delivery]]:
    """Per sender, its deliveries in the order it sends them: each escalation's events in
    order, the sender's escalations interleaved (an outage raises many at once). With
    `hot_events`, one more escalation (`HOT_ESCALATION`, on the first sender) opens and then
    gets that many updates: an alarm that flaps."""
    webhook = Webhook(SECRET)
    signed_at = datetime.now(UTC)
    base = datetime.now(UTC) - timedelta(hours=2)
    per_escalation = events // escalations
    made: list[tuple[int, int, Delivery]] = []
    for e in range(escalations):
        for k in range(per_escalation):
            n = e * per_escalation + k
            event = {
                "event_id": f"bench-{n:07d}",
                "escalation_id": f"NOC-{e:06d}",
                "customer": customers[e % len(customers)],
                "title": f"Storage latency above threshold on pool {e % 97} in VA1",
                "description": "p99 write latency 58 ms since 08:52 UTC; see the dashboard.",
                "severity": f"sev{1 + e % 4}",
                "status": STATUSES[k % len(STATUSES)],
                "service": "block-storage",
                "datacenter": "va1",
                "occurred_at": (base + timedelta(minutes=k, milliseconds=e)).isoformat(),
                "fingerprint": f"ceph-latency/pool-{e}",
            }
            made.append((k, e, signed(webhook, signed_at, f"msg_{n:07d}", event)))
    for k in range(hot_events + 1 if hot_events else 0):
        event = {
            "event_id": f"bench-hot-{k:05d}",
            "escalation_id": HOT_ESCALATION,
            "customer": customers[0],
            "title": "Packet loss flapping on VA1 edge routers",
            "description": "The loss alarm clears and fires again every few seconds.",
            "severity": "sev2",
            "status": "open" if k == 0 else "acknowledged",
            "service": "network",
            "datacenter": "va1",
            "occurred_at": (base + timedelta(seconds=k)).isoformat(),
            "fingerprint": "edge-loss/va1",
        }
        made.append((k, 0, signed(webhook, signed_at, f"msg_hot_{k:05d}", event)))
    made.sort(key=lambda item: (item[0], item[1]))
    return [[d for _, e, d in made if e % SENDERS == s] for s in range(SENDERS)]


SENDERS = 16


def send_all(urls: list[str], per_sender: list[list[Delivery]]) -> int:
    """Send every delivery from one thread per sender, the senders spread over `urls` (one
    per daemon); returns how many were not 2xx."""
    failures = [0] * len(per_sender)
    start = threading.Barrier(len(per_sender))

    def sender(index: int) -> None:
        parts = urlsplit(urls[index % len(urls)])
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)
        path = "/webhooks/noc"
        start.wait()
        for delivery in per_sender[index]:
            connection.request("POST", path, body=delivery.body, headers=delivery.headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                failures[index] += 1

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(len(per_sender))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(failures)


class Process:
    def __init__(self, *args: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, __file__, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.popen.stdout is not None
        self.url = self.popen.stdout.readline().strip()
        if not self.url:
            raise SystemExit(f"{args[:2]} did not start")

    def ask(self, line: str) -> Any:
        assert self.popen.stdin is not None and self.popen.stdout is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()
        return json.loads(self.popen.stdout.readline())

    def close(self) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.close()
        self.popen.wait(timeout=60)


def fresh_postgres_database(url: str) -> str:
    """An empty database beside the one `url` names, so each part starts from nothing."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"csp_bench_{os.getpid()}_{time.monotonic_ns()}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def combined(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The answers of the daemons that shared one store: the rows (every daemon read them all)
    from the first, CPU, lanes busy and calls in flight added up, the pacers' counters added."""
    first = results[0]
    if len(results) == 1:
        return first
    pace: dict[str, float] = {}
    for result in results:
        for name, value in result["pace"].items():
            pace[name] = pace.get(name, 0.0) + value
    return {
        **first,
        "pace": pace,
        "cpu": sum(result["cpu"] for result in results),
        "busy": [sum(result["busy"][i] for result in results) for i in range(3)],
        "breakdown": None,
    }


def run_part(
    kind: str,
    args: argparse.Namespace,
    per_sender: list[list[Delivery]],
    rate: float | None,
    issue_write_limit: str | None = None,
    daemons: int = 1,
) -> dict[str, Any]:
    knobs = ["--latency-ms", str(args.latency_ms)]
    if rate is not None:
        knobs += ["--rate-limit", str(rate)]
    if issue_write_limit:
        knobs += ["--issue-write-limit", issue_write_limit]
    sandbox = Process("--role", "sandbox", *knobs)
    workdir = tempfile.mkdtemp(prefix="csp-bench-delivery-")
    if kind == "bridge":
        targets = [Process("--role", "bridge", "--jira", sandbox.url)]
    else:
        database = f"{workdir}/state.sqlite"
        if args.postgres:
            database = fresh_postgres_database(args.postgres)
        extra = ("--breakdown",) if args.breakdown else ()
        # Started one after the other: each is up (migrated, listening) before the next.
        targets = [
            Process("--role", "daemon", "--jira", sandbox.url, "--database", database, *extra)
            for _ in range(daemons)
        ]
    load = os.getloadavg()[0]
    failures = send_all([target.url for target in targets], per_sender)
    # Each daemon waits until the shared store has nothing pending, so the first answer
    # comes when every event is in Jira; each answers with every row of the store.
    results = [target.ask("wait") for target in targets]
    for target in targets:
        target.close()
    result = combined(results)
    stats = sandbox.ask("stats")
    labels = sandbox.ask("issues")
    sandbox.close()
    hot = [
        (a, d)
        for (a, d), subject in zip(
            result["events"], result.get("subjects") or [None] * len(result["events"]), strict=True
        )
        if subject == HOT_ESCALATION
    ]
    if hot:
        result["events"] = [
            event
            for event, subject in zip(result["events"], result["subjects"], strict=True)
            if subject != HOT_ESCALATION
        ]
    events = [(a, d) for a, d in result["events"] if d is not None]
    first = min(a for a, _ in result["events"])
    last = max(d for _, d in events)
    delays = sorted(d - a for a, d in events)
    statuses = stats["byStatus"]
    noc_labels = [lab for issue in labels for lab in issue if "noc-0" in lab.lower()]
    return {
        "kind": kind,
        "events": len(result["events"]),
        "in_jira": len(events),
        "not_done": result["not_done"],
        "failed_sends": failures,
        "seconds": last - first,
        "p50": percentile(delays, 0.5),
        "p99": percentile(delays, 0.99),
        "calls": stats["total"],
        "calls_ok": sum(n for status, n in statuses.items() if status.startswith("2")),
        "calls_429": statuses.get("429", 0),
        "issues": len(noc_labels),
        "duplicates": len(noc_labels) - len(set(noc_labels)),
        "pace": result["pace"],
        "busy": result["busy"],
        "breakdown": result.get("breakdown"),
        "cpu": result["cpu"],
        "sandbox_cpu": stats["cpu"],
        "load": load,
        "hot": hot,
        "issue_write_429": stats.get("injected", {}).get("issueWriteLimited", 0),
    }


def component(args: argparse.Namespace, rate: float, seconds: float) -> dict[str, Any]:
    """The gateway and its pacer alone under the rate limit: 16 threads read serverInfo as
    fast as the pacer lets them for `seconds`."""
    from csp_jira_sync.demo.run import daemon_settings
    from csp_jira_sync.jira.gateway import connect

    sandbox = Process(
        "--role", "sandbox", "--latency-ms", str(args.latency_ms), "--rate-limit", str(rate)
    )
    gateway = connect(daemon_settings(sandbox.url, Path("/nonexistent"), SECRET))
    stop = time.monotonic() + seconds

    def caller() -> None:
        while time.monotonic() < stop:
            gateway.server_info()

    threads = [threading.Thread(target=caller) for _ in range(16)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    stats = sandbox.ask("stats")
    sandbox.close()
    statuses = stats["byStatus"]
    ok = sum(n for status, n in statuses.items() if status.startswith("2"))
    return {"calls": stats["total"], "ok": ok, "calls_429": statuses.get("429", 0), "seconds": wall}


def show(part: dict[str, Any]) -> None:
    print(
        f"  {part['kind']:<9} {part['seconds']:7.1f} s first accepted -> last in Jira   "
        f"delay p50 {part['p50']:6.2f} s  p99 {part['p99']:6.2f} s   "
        f"{part['calls'] / max(1, part['events']):.3f} Jira calls/event   "
        f"in Jira {part['in_jira']}/{part['events']}  duplicates {part['duplicates']}  "
        f"(load avg {part['load']:.1f}; {1000 * part['cpu'] / part['events']:.1f} ms CPU/event "
        f"in the {part['kind']}, intake included, start-up not; "
        f"sandbox {1000 * part['sandbox_cpu'] / part['events']:.1f} ms/event)"
    )
    if part["busy"]:
        busy, flight, limit = part["busy"]
        print(
            f"          on average while events were due: {busy:.1f} lanes busy, "
            f"{flight:.1f} Jira calls in flight, concurrency limit {limit:.1f}"
        )
    if part.get("breakdown"):
        spent = part["breakdown"]
        lane = max(spent["lane"], 1e-9)
        store = spent["store_begin"] + spent["store_body"]
        rest = lane - spent["pacer_wait"] - spent["slot"] - store
        print(
            f"          lanes' time ({lane:.0f} lane-seconds): waiting for the pacer "
            f"{100 * spent['pacer_wait'] / lane:.0f}%, holding a call slot "
            f"{100 * spent['slot'] / lane:.0f}% (in HTTP {100 * spent['http'] / lane:.0f}%), "
            f"store {100 * store / lane:.0f}% (waiting to begin "
            f"{100 * spent['store_begin'] / lane:.0f}%, body and commit "
            f"{100 * spent['store_body'] / lane:.0f}%), the rest {100 * rest / lane:.0f}%"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--escalations", type=int, default=400)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--rate-limit", type=float, default=None)
    parser.add_argument("--rate", type=float, default=20.0, help="R of the rate part")
    parser.add_argument("--parts", default="daemon,bridge,rate,component,daemons,hot")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("CSP_TEST_POSTGRES_URL"),
        help="run the daemon on PostgreSQL (a fresh database beside this one); "
        "default: $CSP_TEST_POSTGRES_URL, else SQLite",
    )
    parser.add_argument("--component-seconds", type=float, default=30.0)
    parser.add_argument(
        "--daemons",
        type=int,
        default=2,
        help="daemons of the `daemons` part, each its own process on one PostgreSQL",
    )
    parser.add_argument("--hot-events", type=int, default=100, help="updates of the busy one")
    parser.add_argument(
        "--issue-write-limit",
        default=None,
        metavar="WRITES/MS",
        help=f"the per-issue write limit of the hot part (default {HOT_LIMIT}): writes per ms",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="time where the daemon's lanes spend their time (costs some CPU of its own)",
    )
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--jira", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "sandbox":
        writes, _, window = (args.issue_write_limit or "").partition("/")
        limit = (int(writes), int(window)) if writes and window else None
        role_sandbox(args.latency_ms, args.rate_limit, limit)
        return
    if args.role == "daemon":
        role_daemon(args.jira, args.database, args.breakdown)
        return
    if args.role == "bridge":
        role_bridge(args.jira)
        return

    from csp_jira_sync.config.mappings import load_mappings
    from csp_jira_sync.settings import PROJECT_ROOT

    customers = sorted(load_mappings(PROJECT_ROOT / "mappings").customers)
    per_sender = stream(args.events, args.escalations, customers)
    parts = args.parts.split(",")
    print(
        f"delivery: {args.events} signed NOC events over {args.escalations} escalations from "
        f"{SENDERS} concurrent senders, {args.latency_ms} ms Jira latency, "
        f"{os.cpu_count()} cores shared with other work"
    )
    found: dict[str, dict[str, Any]] = {}
    for kind in ("daemon", "bridge"):
        if kind in parts:
            found[kind] = run_part(kind, args, per_sender, None)
            show(found[kind])
    if "daemon" in found and "bridge" in found:
        daemon, bridge = found["daemon"], found["bridge"]
        print(
            f"  daemon/bridge: {bridge['seconds'] / daemon['seconds']:.2f} times faster "
            f"(target >= 1.8), {daemon['calls'] / bridge['calls']:.2f} of its calls "
            f"(target <= 0.5); daemon all in Jira within 30 s: "
            f"{'yes' if daemon['seconds'] <= 30 else 'NO'}"
        )
    if "rate" in parts:
        part = run_part("daemon", args, per_sender, args.rate)
        print(f"under a sandbox rate limit of R = {args.rate:g} calls/s:")
        show(part)
        ok_rate = part["calls_ok"] / part["seconds"]
        print(
            f"  end to end: {ok_rate:5.1f} delivered calls/s = {ok_rate / args.rate:.2f} R "
            f"(target >= 0.9 R), 429s {part['calls_429']} of {part['calls']} calls = "
            f"{100 * part['calls_429'] / max(1, part['calls']):.2f}% (target < 1%); "
            f"pauses {part['pace']}"
        )
    if "daemons" in parts:
        daemons_part(args, per_sender, found.get("daemon"))
    if "hot" in parts:
        hot_part(args, customers, found.get("daemon"))
    if "component" in parts:
        comp = component(args, args.rate, args.component_seconds)
        rate = comp["ok"] / comp["seconds"]
        print(
            f"  component (gateway + pacer alone, 16 threads, {comp['seconds']:.0f} s): {rate:5.1f} calls/s = "
            f"{rate / args.rate:.2f} R, 429s {comp['calls_429']} of {comp['calls']} = "
            f"{100 * comp['calls_429'] / max(1, comp['calls']):.2f}%"
        )


def daemons_part(
    args: argparse.Namespace, per_sender: list[list[Delivery]], plain: dict[str, Any] | None
) -> None:
    if not args.postgres:
        print(
            "  daemons: skipped: several daemons share one PostgreSQL "
            "(--postgres URL, or run under scripts/with-postgres)"
        )
        return
    part = run_part("daemon", args, per_sender, None, daemons=args.daemons)
    part["kind"] = f"{args.daemons} daemons"
    print(f"{args.daemons} daemons, each its own process, on one PostgreSQL, same stream:")
    show(part)
    if plain:
        print(
            f"  {args.daemons} daemons against one: {plain['seconds'] / part['seconds']:.2f} "
            f"times as fast ({part['seconds']:.1f} s against {plain['seconds']:.1f} s), "
            f"duplicates {part['duplicates']} (target 0)"
        )


def hot_part(args: argparse.Namespace, customers: list[str], plain: dict[str, Any] | None) -> None:
    per_sender = stream(args.events, args.escalations, customers, hot_events=args.hot_events)
    limit = args.issue_write_limit or HOT_LIMIT
    part = run_part("daemon", args, per_sender, None, issue_write_limit=limit)
    writes, _, window = limit.partition("/")
    print(
        f"with one busy escalation ({args.hot_events} updates) under a per-issue write limit of "
        f"{writes} writes in {int(window) / 1000:g} s; the other escalations:"
    )
    show(part)
    hot = part["hot"]
    hot_done = [d for _, d in hot if d is not None]
    first = min(a for a, _ in hot)
    pace = part["pace"]
    print(
        f"  the busy one: {len(hot_done)}/{len(hot)} events in Jira, the last "
        f"{max(hot_done) - first:.1f} s after its first was accepted; Jira's per-issue 429s "
        f"{part['issue_write_429']}, read by the daemon "
        f"{pace.get('csp_jira_issue_write_limited_total', 0):.0f}"
    )
    print(
        f"  pauses of every call: {pace.get('csp_jira_rate_limit_pauses_total', 0):.0f} "
        f"(target 0), concurrency limit at the end "
        f"{pace.get('csp_jira_concurrency_limit', 0):.0f}"
        + (
            f"; the others took {part['seconds']:.1f} s against {plain['seconds']:.1f} s "
            "without the busy one (daemon part above)"
            if plain
            else ""
        )
    )


if __name__ == "__main__":
    main()
