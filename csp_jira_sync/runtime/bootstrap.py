"""The one place that wires settings, mappings, the store, the Jira gateway, the worker and the
receiver together. Entry points (CLI, demo, tests) call `build_app` and nothing else reads
settings."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from csp_jira_sync.allowance.enforcement import Enforcer
from csp_jira_sync.allowance.facts import WorklogSource
from csp_jira_sync.allowance.job import run_allowance_pass
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.allowance.reading import JiraWorklogSource
from csp_jira_sync.classify.learned import CurrentClassifier, LearnedClassifier
from csp_jira_sync.classify.training import current_classifier, retrain
from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.delivery.context import HandlerContext
from csp_jira_sync.delivery.kinds import handlers_for
from csp_jira_sync.delivery.lanes import lanes_for
from csp_jira_sync.delivery.worker import Worker, WorkerConfig, utc_now
from csp_jira_sync.jira.gateway import JiraGateway, connect, pace_config
from csp_jira_sync.jira.pacer import Pacer
from csp_jira_sync.metrics import DeliveryPace, Metrics
from csp_jira_sync.reconcile import plan as reconcile_plan
from csp_jira_sync.reconcile.allowance_step import AllowanceStep
from csp_jira_sync.reconcile.deleted import DeletedIssuesStep
from csp_jira_sync.reconcile.duplicates import DuplicateIssues
from csp_jira_sync.reconcile.findings import Scope, Step
from csp_jira_sync.reconcile.labels import LabelRepairs
from csp_jira_sync.reconcile.redelivery import RedeliveryStep
from csp_jira_sync.reconcile.retention import RetentionStep
from csp_jira_sync.reconcile.run import LAST_SLOT, Reconciler
from csp_jira_sync.reconcile.visibility import IssueVisibility
from csp_jira_sync.reports.runs import (
    DocumentSource,
    GroupSource,
    ReportContext,
    problem_pass,
    scheduled_reports,
)
from csp_jira_sync.reports.sources import problem_groups, report_documents
from csp_jira_sync.runtime.leases import JobLeases, holder_name
from csp_jira_sync.runtime.scheduler import Job
from csp_jira_sync.settings import Settings
from csp_jira_sync.store import Store
from csp_jira_sync.triage.job import run_triage_pass

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    mappings: Mappings
    rules: CurrentClassifier
    store: Store
    gateway: JiraGateway
    metrics: Metrics
    worker: Worker
    wake: threading.Event = field(default_factory=threading.Event)
    # The allowance ledger's Jira reader (`allowance/reading.py`); `build_app` sets it.
    worklog_source: WorklogSource | None = None
    # Where report documents and recurring groups come from (the trend computation and
    # reports/recurrence.py); their jobs run in `serve` once these are set.
    report_source: DocumentSource | None = None
    problem_source: GroupSource | None = None
    # Who runs which periodic job when several daemons share the database (issue 10).
    leases: JobLeases | None = None
    # When this daemon's nightly reconciliation job first ran (it waits for the next cron time).
    reconcile_started_at: datetime | None = None

    def job_leases(self) -> JobLeases:
        if self.leases is None:
            self.leases = JobLeases(
                self.store.job_locks,
                holder=holder_name(),
                lease=timedelta(seconds=self.settings.job_lock_seconds),
                clock=self.worker.clock,
            )
        return self.leases

    def receiver(self) -> FastAPI:
        from csp_jira_sync.receiver import create_receiver

        return create_receiver(
            self.settings, self.mappings, self.store, self.metrics, on_accepted=self.wake.set
        )

    def wait_until_drained(
        self,
        timeout: float = 120.0,
        progress: Callable[[int, int], None] | None = None,
        poll: float = 0.05,
    ) -> None:
        """Block until the running worker has nothing pending it can deliver (deferred events
        included; events held behind a dead letter wait for an operator, so they do not count),
        waking it on each look. Raises TimeoutError with the queue's depth when it does not."""
        deadline = time.monotonic() + timeout
        total = max(1, sum(self.store.depth().values()))
        while time.monotonic() < deadline:
            pending = self.store.depth().get("pending", 0)
            if pending:
                pending = max(0, pending - self.store.held().events)
            if progress is not None:
                progress(total - pending, total)
            if pending == 0:
                return
            self.wake.set()
            time.sleep(poll)
        raise TimeoutError(f"the queue did not drain in {timeout:.0f} s: {self.store.depth()}")

    def jobs(self, *, drain_timeout: float = 300.0) -> list[Job]:
        """Every pass the daemon does besides answering webhooks, in the order `sync` runs
        them; the one place a job is registered. `serve` runs the periodic ones on the
        scheduler (the queue has its own worker thread there)."""
        return [
            Job(
                "queue",
                "Events processed",
                "events",
                lambda: self.worker.drain(timeout=drain_timeout).outcomes,
                # Daemons share the inbox row by row (claims), not by a job lock.
                exclusive=False,
            ),
            Job(
                "triage",
                "Triage of hand-made issues",
                "issues",
                self.triage,
                every_seconds=self.settings.triage_interval_seconds,
            ),
            Job(
                "allowance",
                "Allowance ledger: worklogs changed in Jira",
                "worklogs",
                self.allowance,
                every_seconds=self.settings.allowance_interval_seconds,
            ),
            Job(
                "allowance-recompute",
                "Allowance ledger: this month and last re-read",
                "worklogs",
                lambda: self.allowance(full=True),
                every_seconds=self.settings.allowance_recompute_seconds,
            ),
            *self._reconcile_job(),
            Job(
                "classify-retrain",
                "Classifier retrained from labelled data and corrections",
                "models",
                self.retrain_classifier,
                every_seconds=self.settings.classify_retrain_interval_seconds,
                in_sync=False,
            ),
            *self._report_jobs(),
        ]

    def _reconcile_job(self) -> list[Job]:
        if not self.settings.reconcile_cron:
            return []  # scheduled outside `serve` (deploy/)
        return [
            Job(
                "reconcile",
                "Nightly reconciliation",
                "findings",
                self.nightly_reconcile,
                every_seconds=3600.0,
                in_sync=False,
                # The run takes the `reconcile` lock itself, for its length only: a `reconcile`
                # from cron must be refused while a run is going on, not while `serve` is up.
                exclusive=False,
                wait_seconds=self._until_next_reconcile,
            ),
        ]

    def retrain_classifier(self) -> Counter[str]:
        """Retrain from the labelled files and the CSPs' corrections (issue 11); the new model
        is used from now on only if it passed the gate on the held-out sets."""
        from csp_jira_sync.triage.corrections import corrections_for_training

        result = retrain(
            self.settings.model_directory,
            self.settings.mappings_dir,
            self.mappings.catalog,
            now=self.worker.clock(),
            corrections=corrections_for_training(self.store, self.mappings.catalog),
        )
        if result.new is None:
            return Counter({"unchanged": 1})
        log.info(
            "classify.retrained version=%s promoted=%s reason=%s",
            result.new.version,
            result.promoted,
            result.reason,
        )
        if not result.promoted:
            return Counter({"kept-current": 1})
        classifier, _ = current_classifier(
            self.settings.model_directory,
            self.settings.mappings_dir,
            self.mappings.catalog,
            now=self.worker.clock,
        )
        self.rules.use(classifier)
        return Counter({"promoted": 1})

    def _report_jobs(self) -> list[Job]:
        every = self.settings.report_interval_seconds
        jobs = []
        if self.report_source is not None:
            source = self.report_source
            jobs.append(
                Job(
                    "reports",
                    "Weekly and monthly reports",
                    "reports",
                    lambda: scheduled_reports(self.report_context(), source),
                    every_seconds=every,
                    in_sync=False,
                )
            )
        if self.problem_source is not None:
            groups = self.problem_source
            jobs.append(
                Job(
                    "problems",
                    "Problem records",
                    "problems",
                    lambda: problem_pass(self.report_context(), groups),
                    every_seconds=every,
                )
            )
        return jobs

    # -- the nightly reconciliation (issue 12) ----------------------------------------------

    def reconcile_steps(self, *, in_daemon: bool) -> list[Step]:
        """The reconciliation's steps, in the order they run; the one place a step is added.
        `in_daemon`: the worker thread is running here (`serve`), so redelivery wakes it and
        waits, instead of draining the queue itself."""
        clock = self.worker.clock
        settings = self.settings
        deliver = self._wake_and_wait if in_daemon else self._drain_now
        return [
            DeletedIssuesStep(
                self.store,
                self.gateway,
                self.mappings,
                self.rules,
                project=settings.jira_project,
                settle=timedelta(seconds=settings.jira_search_settle_seconds),
                clock=clock,
                deliver=deliver,
            ),
            RedeliveryStep(
                self.store,
                deliver,
                stuck_after=timedelta(minutes=settings.reconcile_stuck_minutes),
                clock=clock,
            ),
            DuplicateIssues(gateway=self.gateway, store=self.store, clock=clock),
            LabelRepairs(gateway=self.gateway, store=self.store, mappings=self.mappings),
            IssueVisibility(gateway=self.gateway, store=self.store),
            AllowanceStep(
                self.store,
                self.mappings,
                self._reread_months if self.worklog_source is not None else None,
            ),
            RetentionStep(self.store, days=settings.retention_days, clock=clock),
        ]

    def reconciler(self, *, in_daemon: bool) -> Reconciler:
        return Reconciler(
            self.store,
            self.reconcile_steps(in_daemon=in_daemon),
            self.job_leases(),
            clock=self.worker.clock,
        )

    def nightly_reconcile(self) -> dict[str, int]:
        """`serve`'s pass: a reconciliation when a cron time has come that no run covered."""
        now = self.worker.clock()
        if self.reconcile_started_at is None:
            self.reconcile_started_at = now
        stored = self.store.get_cursor(LAST_SLOT)
        slot = reconcile_plan.due_slot(
            self.settings.reconcile_cron,
            now,
            last_slot=datetime.fromisoformat(stored) if stored else None,
            started_at=self.reconcile_started_at,
        )
        if slot is None:
            return {}
        reconciler = self.reconciler(in_daemon=True)
        span = reconcile_plan.window(now, last_success=reconciler.last_success())
        report = reconciler.run(Scope(span.since, span.until, dry_run=False), slot=slot)
        return report.counts()

    def _until_next_reconcile(self) -> float:
        now = self.worker.clock()
        wait = (reconcile_plan.next_slot(self.settings.reconcile_cron, now) - now).total_seconds()
        return max(1.0, min(wait, 3600.0))

    def _drain_now(self, ids: Sequence[int]) -> None:
        self.worker.drain(timeout=120.0)

    def _wake_and_wait(self, ids: Sequence[int], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = [self.store.get(ident) for ident in ids]
            if all(row is None or row.state != "pending" for row in rows):
                return
            self.wake.set()
            time.sleep(0.2)

    def _reread_months(self, months: Collection[Month]) -> object:
        return self.allowance(read_months=months)

    def report_context(self) -> ReportContext:
        """What publishing reports, saved filters and Problems need (also for the CLI)."""
        return ReportContext(
            store=self.store,
            gateway=self.gateway,
            mappings=self.mappings,
            project=self.settings.jira_project,
            report_issue_type=self.mappings.issue_types.report,
            filter_group=self.settings.report_filter_group or None,
            now=self.worker.clock,
            settle=timedelta(seconds=self.settings.jira_search_settle_seconds),
        )

    def triage(self) -> Counter[str]:
        """One pass over issues people created or changed in Jira (issue 4)."""
        return run_triage_pass(
            self.store,
            self.gateway,
            self.mappings,
            self.rules,
            project=self.settings.jira_project,
            clock=self.worker.clock,
            customer_field=self.settings.jira_customer_field,
        )

    # -- the allowance ledger (issue 8) ------------------------------------------------------

    def allowance(self, *, full: bool = False, read_months: Collection[Month] = ()) -> Counter[str]:
        """One allowance pass; `full` also re-reads the current and previous month, and
        `read_months` these months (the reconciliation's months touched since its last run)."""
        if self.worklog_source is None:
            return Counter({"skipped_no_worklog_reader": 1})
        now = self.worker.clock()
        current = Month.of(now, UTC)
        enforcer = Enforcer(
            self.store,
            self.gateway,
            self.mappings,
            project=self.settings.jira_project,
            clock=self.worker.clock,
            settle=timedelta(seconds=self.settings.jira_search_settle_seconds),
        )
        return run_allowance_pass(
            self.store,
            self.worklog_source,
            enforcer,
            self.mappings,
            clock=self.worker.clock,
            read_months=sorted({*read_months, *((current.previous(), current) if full else ())}),
        )

    def close(self) -> None:
        self.worker.close()
        self.store.close()


def delivery_pace(worker: Worker, pacer: Pacer) -> DeliveryPace:
    pace = pacer.snapshot()
    return DeliveryPace(
        lanes=worker.config.lanes,
        lanes_busy=worker.lanes_busy,
        calls_in_flight=pace.in_flight,
        concurrency_limit=pace.limit,
        pauses=pace.pauses,
        paused_seconds=pace.paused_seconds,
        issue_waits=pace.issue_waits,
    )


def classifier_for(
    settings: Settings, mappings: Mappings, store: Store
) -> tuple[LearnedClassifier, str]:
    """The model that passed the gate, trained now from the labelled data when there is none."""
    from csp_jira_sync.triage.corrections import corrections_for_training

    classifier, info = current_classifier(
        settings.model_directory,
        settings.mappings_dir,
        mappings.catalog,
        now=utc_now,
        corrections=lambda: corrections_for_training(store, mappings.catalog),
    )
    return classifier, info.version


def build_app(settings: Settings, *, mappings: Mappings | None = None) -> App:
    """Everything the daemon needs, migrated and connected (Jira is not called yet)."""
    mappings = mappings or load_mappings(settings.mappings_dir)
    store = Store.open(settings.database_url)
    store.migrate()
    rules = CurrentClassifier(classifier_for(settings, mappings, store)[0])
    metrics = Metrics()
    pacer = Pacer(pace_config(settings))
    gateway = connect(settings, observe=metrics.jira_call, pacer=pacer)
    context = HandlerContext(
        store=store,
        gateway=gateway,
        mappings=mappings,
        rules=rules,
        project=settings.jira_project,
        search_settle=timedelta(seconds=settings.jira_search_settle_seconds),
        clock=utc_now,
    )
    worker = Worker(
        store,
        handlers_for(context),
        WorkerConfig(
            lease=timedelta(seconds=settings.worker_lease_seconds),
            batch=settings.worker_batch,
            retry_first=timedelta(seconds=settings.worker_retry_first_seconds),
            retry_max=timedelta(seconds=settings.worker_retry_max_seconds),
            lanes=lanes_for(settings.jira_max_concurrency),
        ),
        clock=utc_now,
        on_dead_letter=lambda row, reason: metrics.dead_lettered(),
    )
    metrics.watch_delivery(lambda: delivery_pace(worker, pacer))
    return App(
        settings,
        mappings,
        rules,
        store,
        gateway,
        metrics,
        worker,
        worklog_source=JiraWorklogSource(gateway),
        report_source=report_documents(
            store, gateway, mappings, report_timezone=settings.report_timezone, clock=utc_now
        ),
        problem_source=problem_groups(store, gateway, mappings),
    )
