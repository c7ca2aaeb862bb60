"""Jira calls per intake event on a realistic NOC stream (issue 3: at most 1.05; a
search-then-create bridge spends at least 2).

Runs the real receiver and worker against the sandbox (Cloud mode, 1.5 s index lag), sends a
stream of signed escalations with re-deliveries and late events, waits until everything is in
Jira, and reads the call count from the sandbox's `/_sandbox/stats`.

    .venv/bin/python bench/bench_jira_calls.py [--escalations 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from csp_jira_sync.demo.run import DemoResult, daemon_settings, new_webhook_secret, send_stream
from csp_jira_sync.demo.stream import escalation_stream
from csp_jira_sync.runtime.bootstrap import build_app
from csp_jira_sync.runtime.daemon import start_daemon
from jira_sandbox.config import KnobSettings, SandboxConfig
from jira_sandbox.server import start_sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--escalations", type=int, default=300)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_sandbox(SandboxConfig(knobs=KnobSettings(index_lag_ms=1500))) as sandbox,
    ):
        secret = new_webhook_secret()
        settings = daemon_settings(sandbox.base_url, Path(tmp) / "bench.sqlite", secret)
        app = build_app(settings)
        result = DemoResult()
        stream = escalation_stream(
            sorted(app.mappings.customers), escalations=args.escalations, seed=11
        )
        started = time.perf_counter()
        with start_daemon(app) as daemon:
            send_stream(daemon.base_url, secret, stream, result, lambda *_: None)
            app.wait_until_drained(timeout=600)
        elapsed = time.perf_counter() - started
        stats = sandbox.admin.stats()
        app.close()
    by_route = {route: n for route, n in stats["byRoute"].items() if n}
    print(f"escalations            {args.escalations}")
    print(
        f"deliveries sent        {result.sent} ({result.duplicates} re-deliveries answered as duplicates)"
    )
    print(f"events accepted        {result.accepted}")
    print(f"jira calls             {stats['total']}")
    print(f"jira calls per event   {stats['total'] / result.accepted:.3f}   (target <= 1.05)")
    print(f"wall time              {elapsed:.1f} s")
    for route, count in sorted(by_route.items(), key=lambda kv: -kv[1]):
        print(f"  {count:6d}  {route}")


if __name__ == "__main__":
    main()
