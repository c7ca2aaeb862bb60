"""pytest fixtures for the Jira sandbox (enable with `pytest_plugins = ["jira_sandbox.pytest_plugin"]`).

- `sandbox`: a Cloud-mode sandbox (`RunningSandbox`), reset to the seed before each test. One
  server is started per test session (per xdist worker) and shared; the reset (issues, stats,
  knobs, clock) keeps tests from seeing each other's state.
- `sandbox_dc`: the same in Data Center mode.
- `sandbox_factory`: starts dedicated sandboxes with their own settings, stopped after the test:
  `sandbox_factory(mode="datacenter", index_lag_ms=500, seed_path=...)` (keyword arguments are
  `SandboxConfig` fields plus any `KnobSettings` field).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jira_sandbox.config import KnobSettings, Mode, SandboxConfig
from jira_sandbox.server import RunningSandbox, start_sandbox

SandboxFactory = Callable[..., RunningSandbox]

_KNOB_NAMES = {field.name for field in dataclasses.fields(KnobSettings)}


def config_from(
    mode: Mode = "cloud", seed_path: Path | None = None, **settings: Any
) -> SandboxConfig:
    """A SandboxConfig from flat keyword arguments (config and knob fields mixed)."""
    unknown = sorted(set(settings) - _KNOB_NAMES)
    if unknown:
        raise TypeError(f"unknown sandbox setting(s) {unknown}; knobs are {sorted(_KNOB_NAMES)}")
    return SandboxConfig(mode=mode, seed_path=seed_path, knobs=KnobSettings(**settings))


@pytest.fixture(scope="session")
def _sandbox_cloud_server() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(mode="cloud")) as running:
        yield running


@pytest.fixture(scope="session")
def _sandbox_dc_server() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(mode="datacenter")) as running:
        yield running


@pytest.fixture
def sandbox(_sandbox_cloud_server: RunningSandbox) -> Iterator[RunningSandbox]:
    """A Cloud-mode sandbox at its seed state."""
    _sandbox_cloud_server.reset()
    yield _sandbox_cloud_server
    _sandbox_cloud_server.reset()


@pytest.fixture
def sandbox_dc(_sandbox_dc_server: RunningSandbox) -> Iterator[RunningSandbox]:
    """A Data Center-mode sandbox at its seed state."""
    _sandbox_dc_server.reset()
    yield _sandbox_dc_server
    _sandbox_dc_server.reset()


@pytest.fixture
def sandbox_factory() -> Iterator[SandboxFactory]:
    """Start sandboxes with their own mode, seed and knobs; all are stopped after the test."""
    started: list[RunningSandbox] = []

    def start(
        mode: Mode = "cloud", seed_path: Path | None = None, **settings: Any
    ) -> RunningSandbox:
        running = start_sandbox(config_from(mode, seed_path, **settings))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
