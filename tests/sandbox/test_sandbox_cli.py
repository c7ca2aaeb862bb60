"""`csp-jira-sync sandbox` serves until stopped and prints its URL and the sandbox tokens."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import requests

COMMAND = [sys.executable, "-c", "from csp_jira_sync.cli import main; main()", "sandbox"]


def test_the_sandbox_command_serves_and_stops_cleanly_on_sigterm() -> None:
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", "--mode", "datacenter", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("}"):
                break
        started = json.loads("".join(lines))
        assert started["mode"] == "datacenter"
        assert {"name": "csp-sync", "token": "csp-sync-token"}.items() <= started["users"][
            0
        ].items()
        info = requests.get(f"{started['baseUrl']}/rest/api/2/serverInfo", timeout=5).json()
        assert info["deploymentType"] == "Server"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
    assert code == 0


def test_a_bad_rate_limit_is_refused_with_the_reason() -> None:
    finished = subprocess.run(
        [*COMMAND, "--port", "0", "--rate-limit", "lots"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert finished.returncode == 2
    assert "--rate-limit" in finished.stderr and "N/s" in finished.stderr
