"""The harness's own measuring pieces, over plain values: a harness that cannot see a duplicate
or a lost event would pass every fault run."""

from __future__ import annotations

from typing import Any

from csp_jira_sync.escalations import late as late_events
from tests.fault.snapshot import (
    LATE_NOTE,
    REPLAYED_NOTE,
    differences,
    duplicate_comments,
    duplicate_issues,
    lost_events,
    snapshot,
)
from tests.fault.stream import by_partition, mixed_stream, unique_events


def issue(
    key: str, ref: str, *comments: str, status: str = "To Do", **extra: Any
) -> dict[str, Any]:
    return {
        "key": key,
        "labels": ["csp", ref],
        "status": status,
        "summary": f"summary of {ref}",
        "description": extra.get("description", f"opened [csp-event escalation:{ref}-1]"),
        "comments": [{"body": body} for body in comments],
    }


def test_two_issues_for_one_reference_are_a_duplicate() -> None:
    found = snapshot([issue("CSP-1", "csp-ref-a"), issue("CSP-2", "csp-ref-a")])
    assert duplicate_issues(found) == 1


def test_issues_without_a_reference_label_are_not_the_daemons() -> None:
    hand_made = {**issue("CSP-9", "x"), "labels": ["csp"]}
    assert snapshot([hand_made]) == {}


def test_one_events_marker_in_two_comments_is_a_duplicate_comment() -> None:
    twice = "ack [csp-event escalation:e-2]"
    found = snapshot([issue("CSP-1", "csp-ref-a", twice, twice + " again")])
    assert duplicate_comments(found) == 1


def test_an_accepted_event_that_no_issue_text_carries_is_lost() -> None:
    found = snapshot([issue("CSP-1", "csp-ref-a", "ack [csp-event escalation:e-2]")])
    markers = ["[csp-event escalation:csp-ref-a-1]", "[csp-event escalation:e-2]"]
    assert lost_events(found, [*markers, "[csp-event request:R-1]"]) == ["[csp-event request:R-1]"]


def test_issue_keys_in_texts_compare_by_the_reference_of_the_issue_they_name() -> None:
    first = snapshot(
        [issue("CSP-1", "csp-ref-a"), issue("CSP-2", "csp-ref-b", "see CSP-1 (NOC-7)")]
    )
    second = snapshot(
        [issue("CSP-8", "csp-ref-a"), issue("CSP-5", "csp-ref-b", "see CSP-8 (NOC-7)")]
    )
    assert differences(first, second) == []
    third = snapshot(
        [issue("CSP-8", "csp-ref-a"), issue("CSP-5", "csp-ref-b", "see CSP-5 (NOC-7)")]
    )
    assert differences(first, third) != []


def test_a_late_note_and_the_comment_order_do_not_count_but_a_status_does() -> None:
    late = f"NOC update: acknowledged\n\n{LATE_NOTE}on it [csp-event escalation:e-2]"
    resolved = "NOC update: resolved [csp-event escalation:e-3]"
    applied_late = snapshot([issue("CSP-1", "csp-ref-a", resolved, late, status="Done")])
    in_order = snapshot(
        [
            issue(
                "CSP-1",
                "csp-ref-a",
                late.replace(LATE_NOTE, ""),
                resolved,
                status="Done",
            )
        ]
    )
    assert differences(applied_late, in_order) == []
    reopened = snapshot([issue("CSP-1", "csp-ref-a", resolved, late, status="To Do")])
    [line] = differences(applied_late, reopened)
    assert line.startswith("csp-ref-a status: expected 'Done'")


def test_the_notes_left_out_are_the_daemons_and_only_those() -> None:
    """The snapshot strips the daemon's two late-event notes, word for word as the daemon
    writes them (`escalations/late.py`), and no other text."""
    assert (LATE_NOTE, REPLAYED_NOTE) == (
        late_events.LATE_NOTE + "\n\n",
        late_events.REPLAYED_NOTE + "\n\n",
    )
    replayed = f"NOC update: resolved\n\n{REPLAYED_NOTE}[csp-event escalation:e-2]"
    in_order = "NOC update: resolved\n\n[csp-event escalation:e-2]"
    other = "NOC update: resolved\n\n(arrived late)\n\n[csp-event escalation:e-2]"
    expected = snapshot([issue("CSP-1", "csp-ref-a", in_order, status="Done")])
    assert (
        differences(expected, snapshot([issue("CSP-1", "csp-ref-a", replayed, status="Done")]))
        == []
    )
    assert (
        differences(expected, snapshot([issue("CSP-1", "csp-ref-a", other, status="Done")])) != []
    )


def test_the_stream_is_repeatable_and_each_item_has_one_sender() -> None:
    stream = mixed_stream(200, seed=5)
    assert stream == mixed_stream(200, seed=5)
    assert len(stream) == 200
    assert {d.kind for d in stream} == {"escalation", "request"}
    assert any(d.redelivery for d in stream)
    assert len(unique_events(stream)) < len(stream)
    # Each item is delivered by one sender only: its events keep the NOC's delivery order.
    partitions_of: dict[str, set[int]] = {}
    for partition, deliveries in by_partition(stream).items():
        for d in deliveries:
            item = d.payload.get("escalation_id", d.event_id)
            partitions_of.setdefault(item, set()).add(partition)
    assert all(len(found) == 1 for found in partitions_of.values())
