"""Inbox semantics, on SQLite and PostgreSQL: duplicates, all-or-nothing batches, claims in
order under leases, retries and dead letters."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from csp_jira_sync.store import InboxItem, Store
from csp_jira_sync.store.schema import inbox
from tests.store.helpers import T0, item

LEASE = timedelta(seconds=30)


def _count(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(inbox)).scalar_one())


def test_accept_stores_each_item_with_its_payload_as_pending(store: Store) -> None:
    results = store.accept([item("e1"), item("e2", minutes=1)], now=T0)
    assert [(r.event_id, r.duplicate) for r in results] == [("e1", False), ("e2", False)]
    row = store.get(results[0].inbox_id)
    assert row is not None
    assert (row.kind, row.source, row.subject, row.customer) == (
        "escalation",
        "noc",
        "NOC-1001",
        "acme",
    )
    assert row.payload == {"event_id": "e1", "n": 0}
    assert (row.state, row.attempts, row.last_error, row.claimed_until, row.done_at) == (
        "pending",
        0,
        None,
        None,
        None,
    )
    assert row.occurred_at == T0 and row.occurred_at.tzinfo is not None
    assert row.received_at == T0 and row.next_attempt_at == T0


def test_times_in_other_offsets_come_back_as_the_same_instant_in_utc(store: Store) -> None:
    sydney = datetime(2026, 5, 20, 19, 0, tzinfo=timezone(timedelta(hours=10)))
    [accepted] = store.accept(
        [InboxItem("escalation", "noc", "e-syd", "NOC-7", "acme", sydney, {})], now=T0
    )
    row = store.get(accepted.inbox_id)
    assert row is not None
    assert row.occurred_at == T0 and row.occurred_at.utcoffset() == timedelta(0)


def test_redelivered_event_is_a_duplicate_pointing_at_the_first_row_and_stores_nothing(
    store: Store,
) -> None:
    [first] = store.accept([item("e1", payload={"title": "first"})], now=T0)
    [again] = store.accept([item("e1", payload={"title": "changed on resend"})], now=T0)
    assert again.duplicate and again.inbox_id == first.inbox_id
    assert _count(store) == 1
    row = store.get(first.inbox_id)
    assert row is not None and row.payload == {"title": "first"}


def test_same_event_id_of_another_kind_is_not_a_duplicate(store: Store) -> None:
    store.accept([item("X-1")], now=T0)
    [request] = store.accept([item("X-1", kind="request", source="requests")], now=T0)
    assert not request.duplicate
    assert _count(store) == 2


def test_duplicates_within_one_batch_are_stored_once(store: Store) -> None:
    results = store.accept([item("e1"), item("e2"), item("e1")], now=T0)
    assert [(r.event_id, r.duplicate) for r in results] == [
        ("e1", False),
        ("e2", False),
        ("e1", True),
    ]
    assert results[2].inbox_id == results[0].inbox_id
    assert _count(store) == 2


def _poison_inserts_of(store: Store, event_id: str) -> None:
    """Make the database itself refuse one row, so the failure happens mid-transaction."""
    with store.engine.begin() as connection:
        if store.dialect == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON inbox "
                f"WHEN NEW.event_id = '{event_id}' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.event_id = '{event_id}' THEN RAISE EXCEPTION 'poisoned row'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON inbox "
                "FOR EACH ROW EXECUTE FUNCTION poison()"
            )


def test_accept_is_all_or_nothing_when_the_database_refuses_a_late_row(store: Store) -> None:
    store.accept([item("already-there")], now=T0)
    _poison_inserts_of(store, "poison")
    # Large enough that the rows go out in more than one INSERT statement: the transaction,
    # not a single statement, must undo the earlier ones.
    batch = [item(f"bulk-{n}", minutes=n) for n in range(2500)] + [item("poison")]
    with pytest.raises(DBAPIError, match="poisoned row"):
        store.accept(batch, now=T0)
    assert _count(store) == 1
    assert store.accept([item("bulk-1")], now=T0)[0].duplicate is False


def test_accept_of_nothing_is_nothing(store: Store) -> None:
    assert store.accept([]) == []


def test_items_refuse_unknown_kinds_sources_and_naive_times() -> None:
    with pytest.raises(ValueError, match="kind"):
        InboxItem("worklog", "noc", "e", "s", "acme", T0, {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="source"):
        InboxItem("escalation", "email", "e", "s", "acme", T0, {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        InboxItem("escalation", "noc", "e", "s", "acme", datetime(2026, 5, 20, 9, 0), {})


def test_claim_returns_due_rows_by_occurred_at_then_id_and_leases_them(store: Store) -> None:
    # Arrival order differs from occurrence order; equal times fall back to arrival (id).
    store.accept([item("late", minutes=5)], now=T0)
    store.accept([item("tie-a", minutes=1), item("early", minutes=-3)], now=T0)
    store.accept([item("tie-b", minutes=1)], now=T0)
    claimed = store.claim(10, T0, LEASE)
    assert [r.event_id for r in claimed] == ["early", "tie-a", "tie-b", "late"]
    assert all(r.claimed_until == T0 + LEASE for r in claimed)
    assert store.claim(10, T0 + LEASE - timedelta(seconds=1), LEASE) == []


def test_claim_takes_at_most_limit_rows_oldest_first(store: Store) -> None:
    store.accept([item(f"e{n}", minutes=-n) for n in range(5)], now=T0)
    assert [r.event_id for r in store.claim(2, T0, LEASE)] == ["e4", "e3"]
    assert [r.event_id for r in store.claim(2, T0, LEASE)] == ["e2", "e1"]
    assert [r.event_id for r in store.claim(2, T0, LEASE)] == ["e0"]


def test_expired_lease_makes_the_row_claimable_again(store: Store) -> None:
    store.accept([item("e1")], now=T0)
    [first] = store.claim(5, T0, LEASE)
    [again] = store.claim(5, T0 + LEASE, LEASE)
    assert again.id == first.id and again.claimed_until == T0 + 2 * LEASE


def test_rows_are_not_claimed_before_they_are_due(store: Store) -> None:
    store.accept([item("e1")], now=T0 + timedelta(minutes=1))
    assert store.claim(5, T0, LEASE) == []
    assert [r.event_id for r in store.claim(5, T0 + timedelta(minutes=1), LEASE)] == ["e1"]


def test_concurrent_claims_never_hand_out_the_same_row(database_url: str, store: Store) -> None:
    store.accept([item(f"e{n}", minutes=n) for n in range(40)], now=T0)
    other = Store.open(database_url)
    try:
        start = threading.Barrier(4)
        claims: list[list[int]] = [[] for _ in range(4)]

        def worker(index: int) -> None:
            own = store if index % 2 == 0 else other
            start.wait()
            for _ in range(5):
                claims[index].extend(r.id for r in own.claim(3, T0, LEASE))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.close()
    every = [ident for claim in claims for ident in claim]
    assert len(every) == len(set(every)) == 40


def test_complete_retry_and_dead_letter_move_rows_between_states(store: Store) -> None:
    ids = [a.inbox_id for a in store.accept([item("a"), item("b"), item("c")], now=T0)]
    store.claim(10, T0, LEASE)
    store.complete(ids[0], now=T0 + timedelta(seconds=2))
    store.retry_later(ids[1], T0 + timedelta(minutes=5), "Jira answered 503")
    store.dead_letter(ids[2], "Jira answered 400: priority 'Urgent' does not exist")
    done, retried, dead = (store.get(i) for i in ids)
    assert done is not None and (done.state, done.done_at, done.claimed_until) == (
        "done",
        T0 + timedelta(seconds=2),
        None,
    )
    assert retried is not None
    assert (retried.state, retried.attempts, retried.last_error, retried.claimed_until) == (
        "pending",
        1,
        "Jira answered 503",
        None,
    )
    assert retried.next_attempt_at == T0 + timedelta(minutes=5)
    assert dead is not None and (dead.state, dead.attempts) == ("dead", 1)
    assert store.depth() == {"pending": 1, "done": 1, "dead": 1}
    # Retried rows come back when due; done and dead rows never do.
    assert store.claim(10, T0 + timedelta(minutes=4), LEASE) == []
    assert [r.id for r in store.claim(10, T0 + timedelta(minutes=5), LEASE)] == [ids[1]]


def test_errors_are_stored_safely_and_cut_to_a_readable_length(store: Store) -> None:
    [a] = store.accept([item("a")], now=T0)
    store.retry_later(a.inbox_id, T0, "bad byte \x00 and lone \udc80 surrogate " + "x" * 10_000)
    row = store.get(a.inbox_id)
    assert row is not None and row.last_error is not None
    assert row.last_error.startswith("bad byte \\0 and lone \\udc80 surrogate ")
    assert len(row.last_error) == 4000


def test_dead_letters_are_listed_and_can_be_requeued_selectively_or_all(store: Store) -> None:
    ids = [a.inbox_id for a in store.accept([item(f"e{n}") for n in range(4)], now=T0)]
    for ident in ids[:3]:
        store.dead_letter(ident, f"reason {ident}")
    assert [r.id for r in store.dead_letters(limit=2)] == ids[:2]
    assert [r.last_error for r in store.dead_letters()] == [f"reason {i}" for i in ids[:3]]
    # ids that are not dead (ids[3] is pending) are left alone
    assert store.requeue_dead([ids[0], ids[3]], now=T0 + timedelta(hours=1)) == 1
    requeued = store.get(ids[0])
    assert requeued is not None
    assert (requeued.state, requeued.attempts, requeued.next_attempt_at) == (
        "pending",
        0,
        T0 + timedelta(hours=1),
    )
    assert store.requeue_dead([]) == 0
    assert store.requeue_dead() == 2
    assert store.dead_letters() == []
    assert store.depth() == {"pending": 4, "done": 0, "dead": 0}


def test_state_changes_of_an_unknown_row_raise_key_error(store: Store) -> None:
    with pytest.raises(KeyError):
        store.complete(424242)
    with pytest.raises(KeyError):
        store.retry_later(424242, T0, "x")
    with pytest.raises(KeyError):
        store.dead_letter(424242, "x")


def test_pending_for_subject_lists_one_subjects_pending_rows_in_occurrence_order(
    store: Store,
) -> None:
    store.accept(
        [
            item("resolved", subject="NOC-1", minutes=9),
            item("opened", subject="NOC-1", minutes=1),
            item("other", subject="NOC-2", minutes=0),
            item("acked", subject="NOC-1", minutes=4),
        ],
        now=T0,
    )
    store.claim(1, T0, LEASE)  # leased rows are still pending
    [opened] = [
        r for r in store.pending_for_subject("escalation", "NOC-1") if r.event_id == "opened"
    ]
    store.complete(opened.id)
    assert [r.event_id for r in store.pending_for_subject("escalation", "NOC-1")] == [
        "acked",
        "resolved",
    ]
    assert store.pending_for_subject("request", "NOC-1") == []


def test_depth_reports_every_state_even_when_empty(store: Store) -> None:
    assert store.depth() == {"pending": 0, "done": 0, "dead": 0}


def test_cursors_are_upserted(store: Store) -> None:
    assert store.get_cursor("jira-triage") is None
    store.set_cursor("jira-triage", "1747731600000")
    store.set_cursor("jira-triage", "1747735200000")
    store.set_cursor("worklogs", "0")
    assert store.get_cursor("jira-triage") == "1747735200000"
    assert store.get_cursor("worklogs") == "0"


def test_naive_datetimes_are_refused_rather_than_guessed(store: Store) -> None:
    [a] = store.accept([item("a")], now=T0)
    with pytest.raises(Exception, match="naive datetime"):
        store.retry_later(a.inbox_id, datetime(2026, 5, 20, 9, 0), "x")
    with pytest.raises(Exception, match="naive datetime"):
        store.claim(1, datetime(2026, 5, 20, 9, 0), LEASE)


def test_worker_can_use_the_tables_in_its_own_transactions(store: Store) -> None:
    [a] = store.accept([item("a")], now=T0)
    with store.engine.begin() as connection:
        connection.execute(inbox.update().where(inbox.c.id == a.inbox_id).values(state="done"))
        assert connection.execute(text("SELECT state FROM inbox")).scalar_one() == "done"
    assert store.depth()["done"] == 1


def test_now_defaults_to_the_current_utc_time(store: Store) -> None:
    before = datetime.now(UTC)
    [a] = store.accept([item("a")])
    row = store.get(a.inbox_id)
    assert row is not None and before <= row.received_at <= datetime.now(UTC)


def test_defer_makes_a_row_due_later_without_counting_a_failure(store: Store) -> None:
    [accepted] = store.accept([item("defer-1")])
    now = datetime.now(UTC)
    [row] = store.claim(10, now, timedelta(minutes=1))
    store.defer(row.id, now + timedelta(minutes=5), "waiting for an earlier event")
    assert store.claim(10, now, timedelta(minutes=1)) == []
    later = store.get(accepted.inbox_id)
    assert later is not None and later.attempts == 0 and later.claimed_until is None
    assert later.last_error == "waiting for an earlier event"


def test_release_leases_frees_a_killed_predecessors_claims_on_sqlite_only(store: Store) -> None:
    store.accept([item("lease-1")])
    now = datetime.now(UTC)
    assert len(store.claim(10, now, timedelta(minutes=5))) == 1
    assert store.claim(10, now, timedelta(minutes=5)) == []
    freed = store.release_leases()
    if store.dialect == "sqlite":
        assert freed == 1
        assert len(store.claim(10, now, timedelta(minutes=5))) == 1
    else:
        assert freed == 0
        assert store.claim(10, now, timedelta(minutes=5)) == []
