"""The one place that wires settings, mappings, the store, the Jira gateway, the worker and the
receiver together. Entry points (CLI, demo, tests) call `build_app` and nothing else reads
settings."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import FastAPI

from csp_jira_sync.jira.gateway import JiraGateway, connect
from csp_jira_sync.mappings import Mappings, load_mappings
from csp_jira_sync.metrics import Metrics
from csp_jira_sync.settings import Settings
from csp_jira_sync.store import Store
from csp_jira_sync.worker import Worker, WorkerConfig

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    mappings: Mappings
    store: Store
    gateway: JiraGateway
    metrics: Metrics
    worker: Worker
    wake: threading.Event = field(default_factory=threading.Event)

    def receiver(self) -> FastAPI:
        from csp_jira_sync.receiver import create_receiver

        return create_receiver(
            self.settings, self.mappings, self.store, self.metrics, on_accepted=self.wake.set
        )

    def close(self) -> None:
        self.store.close()


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        project=settings.jira_project,
        search_settle=timedelta(seconds=settings.jira_search_settle_seconds),
        batch=settings.worker_batch,
    )


def build_app(settings: Settings, *, mappings: Mappings | None = None) -> App:
    """Everything the daemon needs, migrated and connected (Jira is not called yet)."""
    mappings = mappings or load_mappings(settings.mappings_dir)
    store = Store.open(settings.database_url)
    store.migrate()
    metrics = Metrics()
    gateway = connect(settings, observe=metrics.jira_call)
    worker = Worker(
        store,
        gateway,
        mappings,
        worker_config(settings),
        on_dead_letter=lambda row, reason: metrics.dead_lettered(),
    )
    return App(settings, mappings, store, gateway, metrics, worker)
