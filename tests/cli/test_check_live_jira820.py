"""`check --live` against a Jira we did not write: jira820, an independent imitation of Jira Data
Center 8.20 (PyPI, pinned in the dev extras), started on a free loopback port. It has only the
older create metadata, so the fallback is exercised against someone else's reading of it.

What it lacks is named here, row by row, so a change on either side shows: its create metadata
lists no priority field (it accepts one all the same), it answers 500 to a JQL date given in
epoch milliseconds (the triage pass's search). It also answers 404 to an issue addressed by its
id, which the daemon never does on Data Center (it addresses issues by key there)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from csp_jira_sync.cli import app

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
JIRA820 = shutil.which("jira820", path=str(Path(sys.executable).parent))
KNOWN_GAPS = {
    "create screen Bug",
    "search with an epoch-millisecond date (triage)",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def jira820() -> Iterator[str]:
    if JIRA820 is None:
        pytest.skip("jira820 is not installed (make install puts it in the dev extras)")
    port = free_port()
    env = {**os.environ, "JIRA820_HOST": "127.0.0.1", "JIRA820_PORT": str(port)}
    env.pop("JIRA820_PERSIST", None)
    process = subprocess.Popen(
        [JIRA820], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/rest/api/2/serverInfo", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("jira820 did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def mappings_for_jira820(tmp_path: Path) -> Path:
    """The shipped mappings with jira820's issue types (Bug, Task) and its reopened status."""
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", mappings)
    (mappings / "issue_types.yaml").write_text(
        "request: Task\nreport: Task\nproblem: Bug\nallowance: Task\n"
    )
    escalation = mappings / "escalation.yaml"
    escalation.write_text(
        escalation.read_text()
        .replace("issue_type: Incident", "issue_type: Bug")
        .replace("reopened: To Do", "reopened: Reopened")
    )
    return mappings


def test_check_live_against_jira820(
    jira820: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mappings = mappings_for_jira820(tmp_path)
    for key, value in {
        "CSP_JIRA_URL": jira820,
        "CSP_JIRA_PROJECT": "JIRA820",
        "CSP_JIRA_AUTH": "bearer",
        "CSP_JIRA_TOKEN": "any",
        "CSP_JIRA_MAX_ATTEMPTS": "2",  # its 500 drops the kept-alive connection
        "CSP_MAPPINGS_DIR": str(mappings),
        "CSP_DATABASE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
    }.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["check", "--live", "--format", "json"])
    rows = {c["check"]: c for c in json.loads(result.stdout)["checks"] if "call" in c}
    assert result.exit_code == 1
    assert {name for name, row in rows.items() if not row["ok"]} == KNOWN_GAPS
    assert rows["Jira answers"]["answer"] == "Server 8.20.8"
    assert (
        "then GET /rest/api/2/issue/createmeta?projectKeys=JIRA820"
        in (rows["issue type Bug (escalation)"]["call"])
    )
    assert "priority" in rows["create screen Bug"]["detail"]
    assert "500" in rows["search with an epoch-millisecond date (triage)"]["answer"]
    # It answers 404 to an issue addressed by its id; the daemon addresses issues by key on
    # Data Center (`JiraGateway._issue_path`), and the check reads one the same way.
    assert rows["issues addressed by key"]["ok"]
