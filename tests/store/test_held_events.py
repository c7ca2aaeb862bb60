"""An escalation whose earlier event is dead-lettered holds its later events: the store does not
hand them out until the dead letter is requeued (then it goes first, in `occurred_at` order) or
dropped; `held()` counts them for `dead-letters`, `/metrics` and `check`."""

from __future__ import annotations

from datetime import timedelta

from csp_jira_sync.store import Held, Store
from tests.store.helpers import T0, item

LEASE = timedelta(minutes=2)
SUBJECT = "NOC-1001"  # the helpers' default subject


def _dead_open(store: Store) -> int:
    """NOC-1001: open (dead-lettered), resolve, reopen; NOC-2: open. Returns the open's id."""
    store.accept(
        [
            item("open", minutes=0),
            item("resolve", minutes=5),
            item("reopen", minutes=9),
            item("other", subject="NOC-2", minutes=1),
        ],
        now=T0,
    )
    [first] = store.claim(1, T0, LEASE)
    assert first.event_id == "open"
    store.dead_letter(first.id, "Jira: The priority selected is invalid.")
    return first.id


def test_later_events_of_a_subject_with_a_dead_letter_are_not_handed_out(store: Store) -> None:
    _dead_open(store)
    claimed = store.claim(10, T0 + LEASE, LEASE)
    assert [row.event_id for row in claimed] == ["other"]


def test_held_counts_the_events_each_dead_letter_holds_back(store: Store) -> None:
    assert store.held() == Held(events=0, by_dead_letter={})
    dead = _dead_open(store)
    assert store.held() == Held(events=2, by_dead_letter={dead: 2})
    assert store.held().dead_letters == 1


def test_an_event_behind_two_dead_letters_counts_for_both_but_once_in_all(store: Store) -> None:
    dead = _dead_open(store)
    resolve, _reopen = store.pending_for_subject("escalation", SUBJECT)
    store.dead_letter(resolve.id, "refused too")
    assert store.held() == Held(events=1, by_dead_letter={dead: 1, resolve.id: 1})


def test_a_requeued_dead_letter_goes_before_the_events_it_held(store: Store) -> None:
    dead = _dead_open(store)
    assert store.requeue_dead([dead], now=T0 + timedelta(hours=1)) == 1
    claimed = store.claim(10, T0 + timedelta(hours=1), LEASE)
    assert [row.event_id for row in claimed] == ["open", "other", "resolve", "reopen"]
    assert store.held().events == 0


def test_dropping_a_dead_letter_releases_what_it_held_and_keeps_it_a_duplicate(
    store: Store,
) -> None:
    dead = _dead_open(store)
    [dropped] = store.drop_dead([dead, 999_999], now=T0)
    assert dropped.id == dead and dropped.state == "dead"
    row = store.get(dead)
    assert row is not None and row.state == "done" and row.done_at == T0
    assert row.last_error == "dropped by an operator: Jira: The priority selected is invalid."
    assert store.dead_letters() == [] and store.held().events == 0
    claimed = store.claim(10, T0 + LEASE, LEASE)
    assert [r.event_id for r in claimed] == ["other", "resolve", "reopen"]
    assert store.accept([item("open")], now=T0)[0].duplicate  # a re-delivery stays out
    assert store.drop_dead([dead]) == []  # no longer a dead letter


def test_earlier_unfinished_lists_pending_and_dead_events_before_a_row(store: Store) -> None:
    _dead_open(store)
    _resolve, reopen = store.pending_for_subject("escalation", SUBJECT)
    assert [(r.event_id, r.state) for r in store.earlier_unfinished(reopen)] == [
        ("open", "dead"),
        ("resolve", "pending"),
    ]


def test_earlier_unfinished_of_a_batch_answers_as_one_look_per_row_would(store: Store) -> None:
    _dead_open(store)
    store.accept(
        [
            item("b-ack", subject="NOC-2", minutes=2),
            item("b-resolve", subject="NOC-2", minutes=4),
            item("c-open", subject="NOC-3", minutes=3),
            item("request", subject=SUBJECT, kind="request", source="requests", minutes=0),
        ],
        now=T0,
    )
    firsts = [
        store.pending_for_subject("escalation", SUBJECT)[1],  # the reopen, behind two
        store.pending_for_subject("escalation", "NOC-2")[1],  # the ack, behind "other"
        store.pending_for_subject("escalation", "NOC-3")[0],  # nothing before it
        store.pending_for_subject("request", SUBJECT)[0],  # same subject, another kind
    ]
    found = store.earlier_unfinished_of(firsts)
    assert found == {(r.kind, r.subject): store.earlier_unfinished(r) for r in firsts}
    assert [len(found[(r.kind, r.subject)]) for r in firsts] == [2, 1, 0, 0]
    assert store.earlier_unfinished_of([]) == {}


def test_release_claims_gives_back_only_this_workers_unfinished_claims(store: Store) -> None:
    store.accept([item("a"), item("b", subject="NOC-2"), item("c", subject="NOC-3")], now=T0)
    a, b, c = store.claim(3, T0, LEASE)
    store.complete(a.id, now=T0)
    # b's lease ran out and another worker claimed it since: not ours to give back.
    later = T0 + timedelta(minutes=10)
    assert [r.id for r in store.claim(1, later, LEASE)] == [b.id]
    assert store.release_claims([a.id, b.id, c.id], T0 + LEASE) == 1
    assert [r.event_id for r in store.claim(3, later, LEASE)] == ["c"]
