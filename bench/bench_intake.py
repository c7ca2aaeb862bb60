"""Intake benchmark: signed NOC events over real HTTP into the receiver, stored durably in
SQLite, from concurrent keep-alive clients. Prints throughput and p50/p99 latency of the
accepted (202) events, and how much CPU the server and the clients used.

    .venv/bin/python bench/bench_intake.py [--events 20000] [--clients 8] [--sync FULL]

Target (issue 3): at least 1,000 events/s and p99 under 25 ms on the project's 2-core machine.

The receiver runs in its own process (uvicorn, as `serve` runs it) so that the clients, which
share the same two cores, do not also share its interpreter lock. Every event is signed
before the clock starts: signing is the sender's cost, not the receiver's. After the run the
database is opened again and must hold exactly one row per event.
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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "whsec_" + base64.b64encode(b"bench-intake-webhook-secret-0001").decode()
CUSTOMERS = ("acme", "globex", "initech", "umbrella")
STATUSES = ("open", "acknowledged", "resolved")


def serve(database: str, synchronous: str) -> None:
    """Server process: print the port, serve until stdin closes, print the writer's stats."""
    from pydantic import SecretStr

    from csp_jira_sync.config.mappings import load_mappings
    from csp_jira_sync.metrics import Metrics
    from csp_jira_sync.receiver import ReceiverServer, create_receiver, set_ready
    from csp_jira_sync.settings import PROJECT_ROOT, Settings
    from csp_jira_sync.store import Store

    settings = Settings(webhook_secret=SecretStr(SECRET), database_url=f"sqlite:///{database}")
    store = Store.open(settings.database_url, sqlite_synchronous=synchronous)  # type: ignore[arg-type]
    store.migrate()
    app = create_receiver(settings, load_mappings(PROJECT_ROOT / "mappings"), store, Metrics())
    set_ready(app, True)
    with ReceiverServer(app) as server:
        print(server.port, flush=True)
        sys.stdin.read()  # the benchmark closes our stdin when it is done
        writer = app.state.writer
        batches, items = writer.batches, writer.items
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"batches": batches, "items": items, "cpu": usage.ru_utime + usage.ru_stime}))
    store.close()


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]


def deliveries(count: int) -> list[Delivery]:
    webhook = Webhook(SECRET)
    signed_at = datetime.now(UTC)
    base = datetime(2026, 5, 20, 8, 0, tzinfo=UTC)
    made = []
    for n in range(count):
        event = {
            "event_id": f"bench-{n:07d}",
            "escalation_id": f"NOC-{n // 3:06d}",
            "customer": CUSTOMERS[n % len(CUSTOMERS)],
            "title": f"Storage latency above threshold on pool {n % 97} in VA1",
            "description": "p99 write latency 58 ms since 08:52 UTC; see the NOC dashboard. " * 3,
            "severity": f"sev{1 + n % 4}",
            "status": STATUSES[n % 3],
            "service": "block-storage",
            "datacenter": "va1",
            "occurred_at": (base + timedelta(seconds=n)).isoformat(),
            "fingerprint": f"ceph-latency/pool-{n % 97}",
        }
        body = json.dumps(event).encode()
        message_id = f"msg_{n:07d}"
        made.append(
            Delivery(
                body,
                {
                    "content-type": "application/json",
                    "webhook-id": message_id,
                    "webhook-timestamp": str(int(signed_at.timestamp())),
                    "webhook-signature": webhook.sign(message_id, signed_at, body.decode()),
                },
            )
        )
    return made


def _stdlib_client(port: int) -> Callable[[Delivery], int]:
    """A keep-alive HTTP/1.1 connection from the standard library: about 0.13 ms of CPU per
    request here, against 0.7 ms for a requests.Session, which alone would cap one client
    process near 1,300 requests/s on these cores."""
    connection = http.client.HTTPConnection("127.0.0.1", port)

    def post(delivery: Delivery) -> int:
        connection.request("POST", "/webhooks/noc", body=delivery.body, headers=delivery.headers)
        response = connection.getresponse()
        response.read()
        return response.status

    return post


def _requests_client(url: str) -> Callable[[Delivery], int]:
    session = requests.Session()

    def post(delivery: Delivery) -> int:
        return session.post(url, data=delivery.body, headers=delivery.headers).status_code

    return post


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="csp-bench-intake-"))
    database = workdir / "state.sqlite"
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(database), "--sync", args.sync],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    port = int(server.stdout.readline())
    url = f"http://127.0.0.1:{port}/webhooks/noc"

    work = deliveries(args.warmup + args.events)
    warmup, measured = work[: args.warmup], work[args.warmup :]
    with requests.Session() as http:
        for delivery in warmup:
            assert http.post(url, data=delivery.body, headers=delivery.headers).status_code == 202

    latencies: list[list[float]] = [[] for _ in range(args.clients)]
    failures: list[int] = [0] * args.clients
    start = threading.Barrier(args.clients + 1)

    def client(index: int) -> None:
        mine = measured[index :: args.clients]
        post = _requests_client(url) if args.client == "requests" else _stdlib_client(port)
        start.wait()
        for delivery in mine:
            began = time.perf_counter()
            status = post(delivery)
            elapsed = time.perf_counter() - began
            if status == 202:
                latencies[index].append(elapsed)
            else:
                failures[index] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)

    server.stdin.close()
    stats = json.loads(server.stdout.readline())
    server.wait(timeout=30)

    from csp_jira_sync.store import Store

    store = Store.open(f"sqlite:///{database}")
    stored = store.depth()["pending"]
    store.close()

    ordered = sorted(x for per_client in latencies for x in per_client)
    client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    return {
        "events": args.events,
        "clients": args.clients,
        "client": args.client,
        "sqlite_synchronous": args.sync,
        "accepted": len(ordered),
        "failed": sum(failures),
        "stored_rows": stored,
        "expected_rows": args.warmup + args.events,
        "seconds": wall,
        "events_per_second": len(ordered) / wall,
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "max_ms": ordered[-1] * 1000,
        "commits": stats["batches"],
        "events_per_commit": stats["items"] / max(1, stats["batches"]),
        "server_cpu_seconds": stats["cpu"],
        "server_cpu_ms_per_event": stats["cpu"] * 1000 / (args.warmup + args.events),
        "client_cpu_cores": client_cpu / wall,
        # Other work on the same two cores (tests, other benchmarks) shows up here; figures
        # taken with a load average well above 0 understate the receiver.
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--sync", choices=("FULL", "NORMAL"), default="FULL")
    parser.add_argument(
        "--client",
        choices=("http.client", "requests"),
        default="http.client",
        help="the senders' HTTP client (requests costs ~5x the CPU per request)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--serve", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.sync)
        return
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"intake: {result['accepted']} signed NOC events from {result['clients']} keep-alive {result['client']} clients, SQLite synchronous={result['sqlite_synchronous']} (WAL)"
    )
    print(f"  throughput   {result['events_per_second']:8.0f} events/s   (target >= 1000)")
    print(f"  latency p50  {result['p50_ms']:8.2f} ms")
    print(f"  latency p99  {result['p99_ms']:8.2f} ms          (target < 25)")
    print(f"  latency max  {result['max_ms']:8.2f} ms")
    print(f"  not 202      {result['failed']:8d}")
    print(
        f"  commits      {result['commits']:8d}   ({result['events_per_commit']:.1f} events per commit: group commit)"
    )
    print(
        f"  server CPU   {result['server_cpu_ms_per_event']:8.3f} ms per event (whole run, incl. start-up)"
    )
    print(
        f"  client CPU   {result['client_cpu_cores']:8.2f} cores of 2 (the senders share the machine)"
    )
    print(
        f"  load average {result['load_average_before']:8.2f} before, {result['load_average_after']:.2f} after (other work on the 2 cores)"
    )
    print(f"  rows stored  {result['stored_rows']:8d}   (expected {result['expected_rows']})")
    if result["stored_rows"] != result["expected_rows"] or result["failed"]:
        raise SystemExit("FAILED: not every event was accepted and stored exactly once")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
