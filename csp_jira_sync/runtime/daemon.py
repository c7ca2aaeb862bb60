"""Running the daemon: the receiver on uvicorn plus the worker thread.

`serve` blocks in the foreground (the first SIGTERM or Ctrl-C stops intake, lets the worker
finish the event in hand, and exits; uvicorn handles the signals). `start_daemon` runs the same
thing in background threads for the demo and the end-to-end tests.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from types import FrameType

import uvicorn
from fastapi import FastAPI

from csp_jira_sync.receiver import add_readiness_probe, set_ready
from csp_jira_sync.runtime.bootstrap import App
from csp_jira_sync.runtime.scheduler import Job, start_scheduler

log = logging.getLogger(__name__)


class _GracefulServer(uvicorn.Server):
    """uvicorn re-raises a captured SIGTERM once it has shut down, which would end the process
    before the worker finishes the event in hand and the store is closed. Here the first SIGTERM
    or Ctrl-C stops intake gracefully, a second one stops uvicorn at once (rq's convention), and
    `serve` returns normally after the worker has stopped."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


def _worker_thread(app: App, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(
        target=app.worker.run_forever,
        args=(stop, app.wake, app.settings.worker_poll_seconds),
        name="csp-worker",
        daemon=True,
    )
    thread.start()
    return thread


def watch_worker(receiver: FastAPI, thread: threading.Thread) -> None:
    """`/readyz` answers 503 once the worker thread is gone: accepting events that nothing
    will deliver is worse than asking the senders to retry elsewhere or later."""

    def worker_problem() -> str | None:
        return None if thread.is_alive() else "the worker thread is not running"

    add_readiness_probe(receiver, "worker", worker_problem)


def jobs_for(app: App) -> list[Job]:
    return app.jobs()


def serve(app: App) -> None:
    stop = threading.Event()
    receiver = app.receiver()
    worker = _worker_thread(app, stop)
    # Other daemons may share the database: each periodic job runs where its lock is held.
    leases = app.job_leases()
    app.metrics.set_daemon(leases.holder)
    heartbeat = leases.start_heartbeat(stop)
    scheduler = start_scheduler(jobs_for(app), stop, leases)
    watch_worker(receiver, worker)
    set_ready(receiver, True)
    config = uvicorn.Config(
        receiver,
        host=app.settings.listen_host,
        port=app.settings.listen_port,
        log_level="warning",
        access_log=False,
    )
    log.info("daemon.start listen=%s holder=%s", app.settings.listen, leases.holder)
    try:
        _GracefulServer(config).run()
    finally:
        stop.set()
        app.wake.set()
        worker.join(timeout=30)
        scheduler.join(timeout=30)
        heartbeat.join(timeout=5)
        if scheduler.is_alive():
            # A pass is still running: its locks must not be handed over under it; they run
            # out on their own once this process has gone.
            log.warning("daemon.job_still_running locks_kept=%s", sorted(leases.held))
        else:
            # Hand the jobs over now rather than when the leases run out.
            leases.release_all()
        app.close()
        log.info("daemon.stopped")


@dataclass
class RunningDaemon:
    base_url: str
    app: App
    _server: uvicorn.Server
    _threads: tuple[threading.Thread, ...]
    _stop: threading.Event

    def stop(self) -> None:
        self._server.should_exit = True
        self._stop.set()
        self.app.wake.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def __enter__(self) -> RunningDaemon:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_daemon(app: App, *, port: int | None = None, with_worker: bool = True) -> RunningDaemon:
    """Receiver (and worker) in background threads on 127.0.0.1; returns once it answers."""
    port = port or free_port()
    receiver = app.receiver()
    config = uvicorn.Config(
        receiver, host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    server_thread = threading.Thread(target=server.run, name="csp-receiver", daemon=True)
    server_thread.start()
    stop = threading.Event()
    threads = [server_thread]
    if with_worker:
        worker = _worker_thread(app, stop)
        watch_worker(receiver, worker)
        threads.append(worker)
    set_ready(receiver, True)
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not server_thread.is_alive():
            raise RuntimeError(f"the receiver did not start on 127.0.0.1:{port}")
        time.sleep(0.01)
    return RunningDaemon(f"http://127.0.0.1:{port}", app, server, tuple(threads), stop)
