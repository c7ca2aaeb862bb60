"""Schemathesis against the receiver's own OpenAPI document, over real HTTP on a real store
(tests/security/fuzz.py): no 5xx, every answer as documented, no row from a refused request.
CI runs ~200 cases; `make soak` runs the long one."""

from __future__ import annotations

import pytest

from tests.receiver.server import RunningReceiver
from tests.security.fuzz import FuzzFigures, cases_per_operation_for, fuzz_receiver


def _assert_clean(figures: FuzzFigures, at_least: int) -> None:
    assert figures.cases >= at_least, figures.by_operation
    assert figures.clean, "\n".join([figures.table(), *figures.failures[:10]])
    # Every endpoint was exercised, and signed cases got through to the store.
    assert all(count > 0 for label, count in figures.by_operation.items() if "positive" in label)
    assert figures.accepted > 0


def test_fuzzed_requests_cause_no_5xx_no_undocumented_answer_and_no_row_when_refused(
    receiver: RunningReceiver,
) -> None:
    per = cases_per_operation_for(receiver.url, 200)
    _assert_clean(fuzz_receiver(receiver.url, receiver.store, cases_per_operation=per), 200)


@pytest.mark.soak
def test_a_thousand_fuzzed_requests_cause_no_5xx_and_no_row_when_refused(
    receiver: RunningReceiver,
) -> None:
    per = cases_per_operation_for(receiver.url, 1000)
    figures = fuzz_receiver(receiver.url, receiver.store, cases_per_operation=per, seed=1012)
    print("\n" + figures.table())
    _assert_clean(figures, 1000)
