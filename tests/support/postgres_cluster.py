"""A private, throwaway PostgreSQL cluster that a test may stop and start again (a pytest
plugin: listed in tests/conftest.py), for tests of what the daemon does when its database goes
away under it. The shared server of `scripts/with-postgres` must never be stopped: other tests
use it at the same time.

It uses the binaries `scripts/with-postgres` finds (the newest /usr/lib/postgresql/*/bin, else
`pg_config --bindir`) and, as root, runs the server as the `postgres` account, else the
`csp-pg` account the script creates (initdb refuses to run as root). Where there are no
binaries the test is skipped with a message saying what to install, except under CI (env CI
set), where that is a failure.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Durability off: a throwaway test cluster, never real data.
_SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def find_bindir() -> Path | None:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if found.returncode == 0:
            candidates.append(Path(found.stdout.strip()))
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresCluster:
    bindir: Path
    workdir: Path
    run_as: list[str]
    port: int = field(default_factory=_free_port)

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        command = [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            log = self.workdir / "run" / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"pg_ctl {args[-1]} failed: {done.stderr.strip()}\n{tail}")

    def start(self) -> None:
        """Start the server (again) on the same port, waiting until it accepts connections."""
        run = self.workdir / "run"
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {run} {_SERVER_OPTIONS}"
        self._pg_ctl("-l", str(run / "server.log"), "-w", "-t", "30", "-o", options, "start")

    def stop(self) -> None:
        """Stop the server, ending every connection to it (pg_ctl -m fast)."""
        self._pg_ctl("-m", "fast", "-w", "stop")


def _server_account() -> str | None:
    """As root, the unprivileged account the server runs as (the `postgres` account, else the
    `csp-pg` system account that scripts/with-postgres creates too); None when not root."""
    if os.geteuid() != 0:
        return None
    for account in ("postgres", "csp-pg"):
        try:
            pwd.getpwnam(account)
            return account
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "csp-pg"],
        check=True,
        capture_output=True,
    )
    return "csp-pg"


@pytest.fixture
def stoppable_postgres() -> Iterator[PostgresCluster]:
    """A fresh cluster of its own, running; stopped and deleted after the test."""
    bindir = find_bindir()
    if bindir is None:
        message = (
            "no PostgreSQL server binaries (initdb, pg_ctl): install the 'postgresql' package "
            "to run the tests that stop PostgreSQL under the daemon"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    account = _server_account()
    run_as = ["runuser", "-u", account, "--"] if account else []
    workdir = Path(tempfile.mkdtemp(prefix="csp-pg-stoppable-"))
    workdir.chmod(0o755)
    for name in ("data", "run"):
        (workdir / name).mkdir()
        if account:
            shutil.chown(workdir / name, user=account)
    (workdir / "data").chmod(0o700)
    cluster = PostgresCluster(bindir, workdir, run_as)
    initdb = [
        *run_as,
        str(bindir / "initdb"),
        "-D",
        str(cluster.datadir),
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
    ]
    done = subprocess.run(initdb, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {done.stdout}{done.stderr}")
    try:
        cluster.start()
        yield cluster
    finally:
        subprocess.run(
            [
                *run_as,
                str(bindir / "pg_ctl"),
                "-D",
                str(cluster.datadir),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(workdir, ignore_errors=True)
