"""Real `csp-jira-sync serve` processes for the fault harness: started, killed with SIGKILL,
restarted on the same address (as a supervisor restarts a service behind a fixed address), and
stopped; a `Cluster` is one or more of them sharing one database and one sandbox."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from csp_jira_sync.demo.run import new_webhook_secret
from csp_jira_sync.runtime.daemon import free_port
from csp_jira_sync.store import Store

CLI = Path(sys.executable).parent / "csp-jira-sync"
# Start-up is mostly imports: 2 s of CPU, and 40 s and more on a 2-core machine at load 20.
START_TIMEOUT = 240.0


def serve_env(jira_url: str, database_url: str, secret: str, **extra: str) -> dict[str, str]:
    """The environment of a `serve` for the harness: short retry delays and settle time so a
    run takes seconds, parallel lanes on; nothing inherited from the caller's CSP_ settings but
    the test session's one classifier model (every run, the baseline included, classifies with
    the same model, as the daemons of one deployment share one; otherwise a daemon on
    PostgreSQL would use whatever model the project's var/models holds)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CSP_")}
    if "CSP_MODEL_DIR" in os.environ:
        env["CSP_MODEL_DIR"] = os.environ["CSP_MODEL_DIR"]
    env.update(
        {
            "CSP_JIRA_URL": jira_url,
            "CSP_DATABASE_URL": database_url,
            "CSP_WEBHOOK_SECRET": secret,
            "CSP_LOG_LEVEL": "WARNING",
            "CSP_JIRA_MAX_CONCURRENCY": "4",
            "CSP_WORKER_POLL_SECONDS": "0.05",
            "CSP_WORKER_RETRY_FIRST_SECONDS": "0.1",
            "CSP_WORKER_RETRY_MAX_SECONDS": "1.0",
            "CSP_WORKER_LEASE_SECONDS": "15",
            "CSP_JIRA_SEARCH_SETTLE_SECONDS": "2.0",
            "CSP_JIRA_MAX_BACKOFF_SECONDS": "2.0",
            "CSP_JIRA_TIMEOUT_SECONDS": "5.0",
            "CSP_JOB_LOCK_SECONDS": "2.0",
            **extra,
        }
    )
    return env


@dataclass
class ServeProcess:
    """One `serve` process; its log goes to a file (a pipe nobody reads would block it)."""

    name: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start and wait until ready; on the same port as before unless another process took
        it meanwhile (the suite runs in parallel)."""
        for _ in range(3):
            if self._start_on(self.port):
                self.starts += 1
                return
            self.port = free_port()
        raise AssertionError(f"{self.name} could not start: {self.log.read_text()[-3000:]}")

    def _start_on(self, port: int) -> bool:
        with self.log.open("a") as output:
            process = subprocess.Popen(
                [str(CLI), "serve"],
                env={**self.env, "CSP_LISTEN": f"127.0.0.1:{port}"},
                stdout=output,
                stderr=output,
            )
        self.process = process
        me = f":{process.pid}:"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                # The daemon names itself on /metrics: this is our process, not a neighbour.
                metrics = requests.get(self.base_url + "/metrics", timeout=2)
                if me in metrics.text:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not start listening: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as an OOM kill or a power cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, as a supervisor stops a service; SIGKILL if it does not stop in time."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    """`serve` processes sharing one database and one sandbox, with one webhook secret."""

    daemons: list[ServeProcess]
    database_url: str
    secret: str
    env: dict[str, str]

    def start(self) -> None:
        for daemon in self.daemons:
            daemon.start()

    def stop(self) -> None:
        for daemon in self.daemons:
            daemon.stop()

    def depth(self) -> dict[str, int]:
        store = Store.open(self.database_url)
        try:
            return store.depth()
        finally:
            store.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {d.name}\n{d.log.read_text()[-4000:]}" for d in self.daemons if d.log.exists()
        )


@contextmanager
def cluster(
    jira_url: str, database_url: str, workdir: Path, *, daemons: int = 1, **extra_env: str
) -> Iterator[Cluster]:
    """`daemons` running `serve` processes; all stopped (SIGTERM) on the way out."""
    secret = new_webhook_secret()
    env = serve_env(jira_url, database_url, secret, **extra_env)
    processes = [
        ServeProcess(name, env, workdir / f"serve-{name}.log") for name in "abcdefgh"[:daemons]
    ]
    running = Cluster(processes, database_url, secret, env)
    try:
        running.start()
        yield running
    finally:
        running.stop()


class Killer:
    """Kills a random daemon of the cluster with SIGKILL `kills` times at random points of the
    stream, restarting it at once each time (a supervisor's restart).

    A sender calls `checkpoint(index)` before each delivery; at a chosen index it waits a
    random moment (so the kill lands mid-request and mid-Jira-call of the others), kills,
    restarts and goes on. Kills are one at a time: a sender that reaches the next point while
    a restart is under way waits for it, so the kills stay spread over the stream however fast
    the senders run.
    """

    def __init__(self, target: Cluster, kills: int, *, stream_length: int, seed: int) -> None:
        if kills >= stream_length:
            raise ValueError(f"{kills} kills need a stream longer than {stream_length}")
        self.target = target
        self.kills = kills
        self.done = 0
        self._rng = random.Random(seed)
        self._points = set(self._rng.sample(range(1, stream_length), kills))
        self._lock = threading.Lock()

    def checkpoint(self, index: int) -> None:
        if index not in self._points:
            return
        with self._lock:
            time.sleep(self._rng.uniform(0.0, 0.3))
            victim = self._rng.choice(self.target.daemons)
            victim.kill()
            self.done += 1
            victim.start()
