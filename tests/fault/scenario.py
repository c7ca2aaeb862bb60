"""One fault scenario end to end: replay a stream into a cluster of real daemons while faults
happen, settle, and measure what landed in Jira against a run of the same stream without
faults. `settle` is the one place that says how a run is finished before it is measured."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.e2e.harness import wait_for
from tests.fault.daemons import CLI, Cluster, Killer, cluster
from tests.fault.senders import SendReport, send_all
from tests.fault.snapshot import (
    Snapshot,
    differences,
    duplicate_comments,
    duplicate_issues,
    lost_events,
    snapshot,
)
from tests.fault.stream import Delivery, unique_events

log = logging.getLogger(__name__)

# Generous: a loaded 2-core machine may be several times slower than a quiet one. These bound
# waits, never an asserted outcome.
DRAIN_TIMEOUT = 600.0


@dataclass(frozen=True)
class Row:
    """One line of `make soak`'s table."""

    scenario: str
    events: int
    kills: int
    lost: int
    duplicate_issues: int
    duplicate_comments: int
    state_equal: bool
    sender_5xx: int
    sender_connection_errors: int
    duration_s: float
    started_utc: str = ""  # when the faulty run began (the run without faults is before it)
    load_average: str = ""  # the 1-minute load average at its start and at its end
    notes: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunStart:
    """When a scenario's faulty run began, and how busy the machine was: the durations are
    wall time on a shared machine, and mean little without the load beside them."""

    monotonic: float
    at: datetime
    load: float

    @classmethod
    def now(cls) -> RunStart:
        return cls(time.monotonic(), datetime.now(UTC), os.getloadavg()[0])


@dataclass
class Measured:
    """A row and the details a failing assertion should show."""

    row: Row
    sent: SendReport
    depth: dict[str, int]
    sync: dict[str, Any]
    lost: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    injected: dict[str, int] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Everything that breaks the harness's guarantees, in words; empty when all hold."""
        found: list[str] = []
        row = self.row
        if self.sent.refused or self.sent.given_up:
            found.append(f"not accepted: {self.sent.refused[:5]} {self.sent.given_up[:5]}")
        if row.lost:
            found.append(f"{row.lost} events lost, e.g. {self.lost[:5]}")
        if row.duplicate_issues:
            found.append(f"{row.duplicate_issues} duplicate issues")
        if row.duplicate_comments:
            found.append(f"{row.duplicate_comments} duplicate comments")
        if self.depth.get("pending", 0) or self.depth.get("dead", 0):
            found.append(f"queue not settled: {self.depth}")
        if not self.sync.get("ok", False):
            found.append(f"sync failed: {self.sync}")
        if self.sync.get("reconcile", {}).get("exit_code") != 0:
            found.append(f"reconcile did not end clean or repaired: {self.sync.get('reconcile')}")
        if not row.state_equal:
            found.append("final Jira state differs from the run without faults:")
            found.extend(f"  {line}" for line in self.differences)
        return found


def replay(
    target: Cluster,
    stream: Sequence[Delivery],
    *,
    kills: int = 0,
    seed: int = 0,
    during: Callable[[], None] | None = None,
) -> SendReport:
    """Send `stream` (each partition by its own sender, retrying) while `kills` SIGKILLs and
    restarts happen at random points of it and `during` (another fault) runs beside it."""
    killer = Killer(target, kills, stream_length=len(stream), seed=seed) if kills else None
    errors: list[BaseException] = []

    def run_during() -> None:
        assert during is not None
        try:
            during()
        except BaseException as exc:
            errors.append(exc)

    side = threading.Thread(target=run_during, daemon=True) if during else None
    if side is not None:
        side.start()
    began = time.monotonic()
    sent = send_all(
        stream,
        lambda: [daemon.base_url for daemon in target.daemons],
        target.secret,
        # Senders retry for hours (PagerDuty: 48 h); ten minutes outlasts any restart here.
        give_up_after=DRAIN_TIMEOUT,
        checkpoint=killer.checkpoint if killer else None,
    )
    log.info("fault.sent seconds=%.1f", time.monotonic() - began)
    if killer is not None:
        assert killer.done == kills, f"{killer.done} of {kills} kills happened"
    if side is not None:
        side.join(DRAIN_TIMEOUT)
        if errors:
            raise errors[0]
    return sent


def wait_drained(target: Cluster, *, timeout: float = DRAIN_TIMEOUT) -> None:
    """Until nothing is pending: every accepted event done (or dead-lettered)."""
    wait_for(lambda: target.depth()["pending"] == 0, "the daemons work off their queue", timeout)


def settle(
    target: Cluster, *, timeout: float = DRAIN_TIMEOUT
) -> tuple[dict[str, int], dict[str, Any]]:
    """Finish a run as an operator would: let the daemons work off their queue, stop them, and
    run one `csp-jira-sync sync` (every job once, the queue drained), then one
    `csp-jira-sync reconcile` (the nightly repair). Returns the queue's depth and sync's JSON
    report, with reconcile's under "reconcile"."""

    began = time.monotonic()
    wait_drained(target, timeout=timeout)
    log.info("fault.drained seconds=%.1f", time.monotonic() - began)
    target.stop()
    done = subprocess.run(
        [str(CLI), "sync", "--format", "json", "--timeout", "120"],
        env=target.env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    log.info("fault.synced seconds=%.1f report=%s", time.monotonic() - began, done.stdout.strip())
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        report = {"ok": False, "exit": done.returncode, "stderr": done.stderr[-3000:]}
    reconciled = subprocess.run(
        [str(CLI), "reconcile", "--format", "json"],
        env=target.env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    log.info(
        "fault.reconciled seconds=%.1f exit=%d report=%s",
        time.monotonic() - began,
        reconciled.returncode,
        reconciled.stdout.strip(),
    )
    try:
        report["reconcile"] = json.loads(reconciled.stdout)
    except json.JSONDecodeError:
        report["reconcile"] = {
            "exit_code": reconciled.returncode,
            "stderr": reconciled.stderr[-3000:],
        }
    return target.depth(), report


def measure(
    name: str,
    stream: Sequence[Delivery],
    issues: list[dict[str, Any]],
    expected: Snapshot,
    *,
    sent: SendReport,
    depth: dict[str, int],
    sync: dict[str, Any],
    kills: int,
    started: RunStart,
    injected: dict[str, int] | None = None,
    notes: str = "",
) -> Measured:
    found = snapshot(issues)
    markers = sorted(sent.accepted)
    lost = lost_events(found, markers)
    diffs = differences(expected, found)
    row = Row(
        scenario=name,
        events=len(stream),
        kills=kills,
        lost=len(lost),
        duplicate_issues=duplicate_issues(found),
        duplicate_comments=duplicate_comments(found),
        state_equal=not diffs,
        sender_5xx=sent.server_errors,
        sender_connection_errors=sent.connection_errors,
        duration_s=round(time.monotonic() - started.monotonic, 1),
        started_utc=f"{started.at:%Y-%m-%d %H:%M}",
        load_average=f"{started.load:.1f}-{os.getloadavg()[0]:.1f}",
        notes=notes,
    )
    return Measured(row, sent, depth, sync, lost, diffs, injected or {})


_BASELINES: dict[tuple[int, int], Snapshot] = {}


def baseline(
    start_sandbox: Callable[[], Any],
    stream: Sequence[Delivery],
    key: tuple[int, int],
    workdir: Path,
) -> Snapshot:
    """The Jira state the stream leaves without any fault: one daemon on SQLite, a quiet Jira
    of its own. Kept for the session: every scenario of one stream compares with one run."""
    if key in _BASELINES:
        return _BASELINES[key]
    quiet = start_sandbox()
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{workdir / 'baseline.sqlite'}"
    with cluster(quiet.base_url, database_url, workdir) as target:
        sent = replay(target, stream)
        depth, sync = settle(target)
    found = snapshot(quiet.admin.issues())
    accepted = set(unique_events(stream))
    problems = []
    if sent.accepted != accepted or sent.refused:
        problems.append(
            f"not all accepted: {sorted(accepted - sent.accepted)[:5]} {sent.refused[:5]}"
        )
    lost = lost_events(found, sorted(accepted))
    if (
        lost
        or duplicate_issues(found)
        or duplicate_comments(found)
        or depth["dead"]
        or not sync.get("ok")
        or sync.get("reconcile", {}).get("exit_code") != 0
    ):
        problems.append(f"lost {lost[:5]}, depth {depth}, sync {sync}")
    assert not problems, f"the run without faults is not clean: {problems}"
    _BASELINES[key] = found
    return found
