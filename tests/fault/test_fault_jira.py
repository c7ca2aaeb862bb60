"""Jira faults: the mixed stream into a Jira that answers a fifth of all calls with a 5xx, a
tenth with a 429, and 5% with a read timeout or a dropped connection (half of the failed
writes after they landed), its search index lagging: nothing lost, nothing duplicated, the same
final state as without faults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jira_sandbox.pytest_plugin import SandboxFactory
from tests.fault.daemons import cluster
from tests.fault.plugin import SoakSize
from tests.fault.scenario import Row, RunStart, baseline, measure, replay, settle, wait_drained
from tests.fault.stream import mixed_stream

pytestmark = [pytest.mark.fault, pytest.mark.slow]
SEED = 12  # the crash runs' stream: one run without faults serves both

# One draw per call at 35%; the kind is drawn uniformly from this list (repeats weight it):
# 8/14 of 35% = 20% 5xx, 4/14 = 10% 429, 2/14 = 5% timeouts and dropped connections.
FAULT_KINDS = ["500", "500", "500", "502", "502", "503", "503", "503"]
FAULT_KINDS += ["429"] * 4 + ["timeout", "drop"]
FAULTS = {
    "faultRate": 0.35,
    "faultKinds": FAULT_KINDS,
    "faultAfterWrite": 0.5,
    "faultStallMs": 1500,  # beyond the daemon's 1 s timeout: a read timeout
    "indexLagMs": 500,
}


def test_a_failing_rate_limited_lagging_jira_still_gets_everything_exactly_once(
    sandbox: Any,
    sandbox_factory: SandboxFactory,
    tmp_path: Path,
    soak_size: SoakSize,
    soak_report: list[Row],
) -> None:
    stream = mixed_stream(soak_size.fault_events, seed=SEED)
    expected = baseline(
        sandbox_factory, stream, (soak_size.fault_events, SEED), tmp_path / "baseline"
    )
    sandbox.admin.set_knobs(**FAULTS, faultSeed=SEED)
    started = RunStart.now()
    with cluster(
        sandbox.base_url,
        f"sqlite:///{tmp_path / 'state.sqlite'}",
        tmp_path,
        CSP_JIRA_TIMEOUT_SECONDS="1.0",
        CSP_JIRA_MAX_ATTEMPTS="3",
    ) as target:
        sent = replay(target, stream)
        wait_drained(target)  # all of the queue worked off against the faults
        injected: dict[str, int] = sandbox.admin.stats()["injected"]
        # The final `sync` (and soon `reconcile`) runs against a healthy Jira: its other jobs
        # (triage, allowance) are not what this scenario measures.
        sandbox.admin.set_knobs(faultRate=0.0, indexLagMs=0)
        depth, sync = settle(target)
    measured = measure(
        "Jira faults (35%), index lag",
        stream,
        sandbox.admin.issues(),
        expected,
        sent=sent,
        depth=depth,
        sync=sync,
        kills=0,
        started=started,
        injected=injected,
        notes=f"faults injected: {dict(sorted(injected.items()))}",
    )
    soak_report.append(measured.row)
    assert measured.problems() == [], "\n".join(measured.problems())
    # The faults really happened, of every kind asked for.
    kinds = {name.removesuffix("-after-write") for name in injected}
    assert kinds == {"500", "502", "503", "429", "timeout", "drop"}, injected
    assert sum(injected.values()) >= soak_size.fault_events // 4, injected
