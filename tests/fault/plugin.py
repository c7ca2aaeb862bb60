"""The fault harness's pytest plugin (listed in tests/conftest.py): the `--soak-size` knob
(`short`, what the normal suite runs; `long`, what `make soak` runs with the sizes of issue 12),
the rows each scenario reports, and their table at the end of the run (and a JSON copy with
`--soak-json PATH`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fault.scenario import Row


@dataclass(frozen=True)
class SoakSize:
    name: str
    crash_events: int
    crash_kills: int
    fault_events: int
    outage_events: int
    outages: int
    outage_seconds: float


SIZES = {
    "short": SoakSize("short", 150, 4, 150, 150, 1, 3.0),
    "long": SoakSize("long", 1000, 20, 1000, 1000, 3, 5.0),
}
_ROWS = pytest.StashKey[list[Row]]()
COLUMNS = (
    ("scenario", "scenario"),
    ("events", "events"),
    ("kills", "kills"),
    ("lost", "lost"),
    ("duplicate_issues", "dup issues"),
    ("duplicate_comments", "dup comments"),
    ("state_equal", "state equal"),
    ("sender_5xx", "5xx to senders"),
    ("sender_connection_errors", "conn. errors"),
    ("duration_s", "duration s"),
    ("started_utc", "started (UTC)"),
    ("load_average", "load average"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("soak", "the fault harness (tests/fault)")
    group.addoption(
        "--soak-size",
        choices=sorted(SIZES),
        default="short",
        help="short: the CI version; long: issue 12's sizes (1,000 events, 20 kills)",
    )
    group.addoption(
        "--soak-json", type=Path, default=None, help="also write the soak table to this file"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ROWS] = []


@pytest.fixture(scope="session")
def soak_size(pytestconfig: pytest.Config) -> SoakSize:
    return SIZES[str(pytestconfig.getoption("soak_size"))]


@pytest.fixture
def soak_report(pytestconfig: pytest.Config) -> list[Row]:
    """Append a scenario's row here; the run's table shows it (also when an assertion fails)."""
    return pytestconfig.stash[_ROWS]


def render(rows: list[Row]) -> list[str]:
    cells = [[title for _, title in COLUMNS]] + [
        [_cell(getattr(row, attr)) for attr, _ in COLUMNS] for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    notes = [f"{row.scenario}: {row.notes}" for row in rows if row.notes]
    return lines + notes


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return str(value)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    rows = config.stash.get(_ROWS, [])
    if not rows:
        return
    size = config.getoption("soak_size")
    terminalreporter.write_sep("=", f"fault harness ({size} run)")
    for line in render(rows):
        terminalreporter.write_line(line)
    target = config.getoption("soak_json")
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            json.dumps({"size": size, "rows": [row.as_json() for row in rows]}, indent=2) + "\n"
        )
        terminalreporter.write_line(f"JSON copy: {target}")
