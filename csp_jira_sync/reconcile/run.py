"""One reconciliation: the steps in order under the job lock, their findings collected.

Only one reconciliation runs at a time across every daemon and every `reconcile` command that
share the database: the run holds the `reconcile` job lock (`runtime/leases.py`) for its length
only, so a `reconcile` from cron while `serve` is running waits for nobody and double-runs
nothing: it is refused, naming the daemon that holds the lock, and exits 3.

A step that fails (Jira down, the store lost mid-step) becomes one finding that needs a person;
the steps after it still run. A run in which every step ran (dry runs aside) records its start
as the last successful run, where the next run's window begins (`plan.window`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from csp_jira_sync.reconcile.findings import Finding, Scope, Step
from csp_jira_sync.reconcile.plan import ExitCode, exit_code
from csp_jira_sync.runtime.scheduler import Guard, describe
from csp_jira_sync.store import Store

log = logging.getLogger(__name__)

JOB = "reconcile"
LAST_SUCCESS = "reconcile.last_success"  # cursor: when the last successful run began (ISO)
LAST_SLOT = "reconcile.last_slot"  # cursor: the cron time the last nightly run was for (ISO)


@dataclass(frozen=True)
class StepReport:
    name: str
    reported: tuple[Finding, ...]  # everything the step answered, its "clean" notes included
    error: str | None
    seconds: float

    @property
    def findings(self) -> tuple[Finding, ...]:
        """What the step found: drift repaired, repairable or reported (not its clean notes)."""
        return tuple(f for f in self.reported if f.outcome != "clean")

    @property
    def summary(self) -> str:
        """What a clean step says it looked at ("" when it said nothing)."""
        return "; ".join(f.found for f in self.reported if f.outcome == "clean")


@dataclass(frozen=True)
class Report:
    scope: Scope | None
    steps: tuple[StepReport, ...] = ()
    held_by: str | None = None  # not run: another reconciliation holds the lock

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(finding for step in self.steps for finding in step.findings)

    @property
    def exit_code(self) -> ExitCode:
        if self.held_by is not None:
            return ExitCode.ALREADY_RUNNING
        return exit_code(self.findings)

    @property
    def needs_person(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.needs_person)

    def counts(self) -> dict[str, int]:
        """Findings by outcome, plus how many need a person: the job's result in `serve`."""
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.outcome] = counts.get(finding.outcome, 0) + 1
        counts["needs_person"] = len(self.needs_person)
        if self.held_by is not None:
            counts["skipped_held_elsewhere"] = 1
        return counts

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.exit_code is ExitCode.CLEAN,
            "exit_code": int(self.exit_code),
            "held_by": self.held_by,
            "since": self.scope.since.isoformat() if self.scope else None,
            "until": self.scope.until.isoformat() if self.scope else None,
            "dry_run": self.scope.dry_run if self.scope else None,
            "steps": [
                {
                    "step": s.name,
                    "ok": s.error is None,
                    "error": s.error,
                    "findings": len(s.findings),
                    "summary": s.summary,
                }
                for s in self.steps
            ],
            "findings": [
                {
                    "step": f.step,
                    "subject": f.subject,
                    "found": f.found,
                    "outcome": f.outcome,
                    "action": f.action,
                    "needs_person": f.needs_person,
                }
                for f in self.findings
            ],
        }


def failed_step(name: str, error: str) -> Finding:
    return Finding(
        step=name,
        subject="(the step)",
        found=f"the step failed: {error}",
        outcome="reported",
        action="nothing was changed by this step; fix the cause and run `reconcile` again",
        needs_person=True,
    )


class Reconciler:
    """Runs `steps` in order under the lock. `on_step(name, done, total)` is told as each step
    starts and once at the end (a progress bar, or nothing)."""

    def __init__(
        self,
        store: Store,
        steps: Sequence[Step],
        guard: Guard,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.steps = tuple(steps)
        self.guard = guard
        self.clock = clock

    def last_success(self) -> datetime | None:
        value = self.store.get_cursor(LAST_SUCCESS)
        return datetime.fromisoformat(value) if value else None

    def run(
        self,
        scope: Scope,
        *,
        on_step: Callable[[str, int, int], None] | None = None,
        slot: datetime | None = None,
    ) -> Report:
        held_by = self.guard.hold(JOB)
        if held_by is not None:
            log.warning("reconcile.already_running held_by=%s", held_by)
            return Report(scope, held_by=held_by)
        try:
            if slot is not None:
                self.store.set_cursor(LAST_SLOT, slot.isoformat(), now=self.clock())
            log.info(
                "reconcile.started since=%s until=%s dry_run=%s steps=%s",
                scope.since.isoformat(),
                scope.until.isoformat(),
                scope.dry_run,
                ",".join(step.name for step in self.steps),
            )
            reports = []
            for done, step in enumerate(self.steps):
                if on_step is not None:
                    on_step(step.name, done, len(self.steps))
                reports.append(self._run_step(step, scope))
            if on_step is not None:
                on_step("done", len(self.steps), len(self.steps))
            report = Report(scope, tuple(reports))
            if not scope.dry_run and all(step.error is None for step in reports):
                self._remember_success(scope.until)
            log.info(
                "reconcile.finished exit_code=%d findings=%d needs_person=%d",
                report.exit_code,
                len(report.findings),
                len(report.needs_person),
            )
            return report
        finally:
            try:
                self.guard.release(JOB)
            except Exception as exc:  # the lease runs out on its own
                log.warning("reconcile.lock_release_failed reason=%s", describe(exc))

    def _remember_success(self, until: datetime) -> None:
        """Move the next run's start to `until`, never back: a run over an earlier month
        (`--month`) must not make the next nightly run look at everything since again."""
        last = self.last_success()
        if last is None or until > last:
            self.store.set_cursor(LAST_SUCCESS, until.isoformat(), now=self.clock())

    def _run_step(self, step: Step, scope: Scope) -> StepReport:
        started = time.monotonic()
        try:
            findings = tuple(step.run(scope))
        except Exception as exc:
            reason = describe(exc)
            log.error("reconcile.step_failed step=%s reason=%s", step.name, reason)
            return StepReport(
                step.name, (failed_step(step.name, reason),), reason, time.monotonic() - started
            )
        seconds = time.monotonic() - started
        for finding in findings:
            log.log(
                logging.WARNING if finding.needs_person else logging.INFO,
                "reconcile.finding step=%s subject=%s outcome=%s needs_person=%s found=%s "
                "action=%s",
                finding.step,
                finding.subject,
                finding.outcome,
                finding.needs_person,
                finding.found,
                finding.action,
            )
        log.info(
            "reconcile.step_done step=%s findings=%d seconds=%.1f",
            step.name,
            len(findings),
            seconds,
        )
        return StepReport(step.name, findings, None, seconds)


__all__ = ["JOB", "LAST_SLOT", "LAST_SUCCESS", "Reconciler", "Report", "StepReport", "failed_step"]
