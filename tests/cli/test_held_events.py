"""The operator sees events held behind dead letters and lets them go: `dead-letters` shows how
many events each holds back, `--drop ID` gives one up with a line saying what was dropped (JSON
too), and `check` has a row saying how many events wait behind how many dead letters."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from csp_jira_sync.cli import app
from csp_jira_sync.store import Store
from tests.store.helpers import T0, item

runner = CliRunner()


@pytest.fixture
def store(offline_store: Store) -> Store:
    return offline_store


def _dead_open_holding_two(store: Store) -> int:
    store.accept([item("open"), item("resolve", minutes=5), item("reopen", minutes=9)], now=T0)
    [opened, *_] = store.claim(3, T0, T0 - T0)
    store.dead_letter(opened.id, "The priority selected is invalid.")
    return opened.id


def test_dead_letters_show_how_many_later_events_each_holds_back(store: Store) -> None:
    dead = _dead_open_holding_two(store)
    listed = runner.invoke(app, ["dead-letters", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    [entry] = json.loads(listed.stdout)
    assert (entry["id"], entry["holds"], entry["event_id"]) == (dead, 2, "open")
    people = runner.invoke(app, ["dead-letters"])
    assert "holds" in people.stdout


def test_drop_confirms_what_was_dropped_and_releases_the_held_events(store: Store) -> None:
    dead = _dead_open_holding_two(store)
    result = runner.invoke(app, ["dead-letters", "--drop", str(dead)])
    assert result.exit_code == 0, result.output
    assert " ".join(result.stdout.split()) == (
        f"dropped dead letter {dead} (escalation NOC-1001, event open); "
        "2 later event(s) of NOC-1001 no longer wait for it"
    )
    assert store.dead_letters() == [] and store.held().events == 0


def test_drop_in_json_and_an_id_that_is_no_dead_letter_is_an_error(store: Store) -> None:
    dead = _dead_open_holding_two(store)
    result = runner.invoke(
        app, ["dead-letters", "--drop", str(dead), "--drop", "4242", "--format", "json"]
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "dropped": [
            {
                "id": dead,
                "kind": "escalation",
                "subject": "NOC-1001",
                "event_id": "open",
                "released": 2,
            }
        ],
        "not_dead_letters": [4242],
    }
    assert "no dead letter with id 4242" in result.stderr


def test_check_says_how_many_events_are_held_behind_how_many_dead_letters(store: Store) -> None:
    clear = runner.invoke(app, ["check", "--format", "json"])
    checks = {c["check"]: c for c in json.loads(clear.stdout)["checks"]}
    assert checks["held events"]["ok"] is True
    _dead_open_holding_two(store)
    held = runner.invoke(app, ["check", "--format", "json"])
    assert held.exit_code == 1
    checks = {c["check"]: c for c in json.loads(held.stdout)["checks"]}
    assert checks["held events"]["ok"] is False
    assert checks["held events"]["detail"].startswith(
        "2 event(s) held behind 1 dead letter(s): fix the cause"
    )
