"""Recurring problems: the groups the trend report shows and Problem records are raised from."""

from __future__ import annotations

from csp_jira_sync.reports.facts import EscalationFacts, EventFact
from csp_jira_sync.reports.recurrence import normalise_title, problem_key, recurring_groups
from tests.reports.stream import at


def facts(
    n: int,
    when: str,
    *,
    customer: str = "acme",
    title: str = "Disk full",
    service: str = "db",
    fingerprint: str | None = None,
) -> EscalationFacts:
    event = EventFact(f"e{n}", at(when), "open", "sev2", service, "", title, fingerprint)
    return EscalationFacts(f"ESC-{n}", customer, (event,), (f"CSP-{n}",), None)


def test_titles_are_normalised_so_numbers_and_ids_do_not_split_a_problem() -> None:
    assert normalise_title("Disk 91% full on db-07") == "disk # full on db #"
    assert normalise_title("  DISK 97%  full on DB-12!") == "disk # full on db #"
    assert normalise_title("Pod api-7f9c2d1b8e crashlooping") == "pod api # crashlooping"
    assert normalise_title("Backup failed") != normalise_title("Backup slow")


def test_the_key_is_the_fingerprint_or_service_and_normalised_title() -> None:
    assert problem_key(facts(1, "2026-11-01T00:00", fingerprint="fp-9")) == "fingerprint:fp-9"
    assert (
        problem_key(facts(2, "2026-11-01T00:00", title="Disk 90% full")) == "title:db:disk # full"
    )


def test_groups_are_per_customer_within_the_window_and_at_the_minimum() -> None:
    stream = [
        facts(1, "2026-11-01T10:00", fingerprint="fp-1"),
        facts(2, "2026-11-05T10:00", fingerprint="fp-1"),
        facts(3, "2026-11-09T10:00", fingerprint="fp-1"),
        facts(4, "2026-11-06T10:00", fingerprint="fp-1", customer="globex"),  # another customer
        facts(5, "2026-10-01T10:00", fingerprint="fp-1"),  # before the window
        facts(6, "2026-11-02T10:00", title="Disk 91% full"),
        facts(7, "2026-11-03T10:00", title="disk 95% FULL"),
        facts(8, "2026-11-03T11:00", title="disk 95% full", service="web"),  # another service
    ]
    groups = recurring_groups(stream, at("2026-10-15T00:00"), at("2026-11-15T00:00"))
    assert [(g.customer, g.key, g.escalation_ids, g.issue_keys) for g in groups] == [
        ("acme", "fingerprint:fp-1", ("ESC-1", "ESC-2", "ESC-3"), ("CSP-1", "CSP-2", "CSP-3")),
        ("acme", "title:db:disk # full", ("ESC-6", "ESC-7"), ("CSP-6", "CSP-7")),
    ]
    assert (groups[0].first_seen, groups[0].last_seen) == (
        at("2026-11-01T10:00"),
        at("2026-11-09T10:00"),
    )
    three = recurring_groups(stream, at("2026-10-15T00:00"), at("2026-11-15T00:00"), minimum=3)
    assert [g.key for g in three] == ["fingerprint:fp-1"]


def test_the_problem_pass_sees_each_escalations_data_center_from_its_first_event() -> None:
    from csp_jira_sync.reports.sources import _for_problems

    def placed(n: int, when: str, datacenter: str) -> EscalationFacts:
        title = f"Disk usage above 90% ({datacenter})"
        event = EventFact(f"e{n}", at(when), "open", "sev2", "db", datacenter, title, "fp-1")
        return EscalationFacts(f"ESC-{n}", "acme", (event,), (f"CSP-{n}",), None)

    stream = [placed(2, "2026-11-05T10:00", "VA1"), placed(1, "2026-11-01T10:00", "GB3")]
    [group] = recurring_groups(stream, at("2026-10-15T00:00"), at("2026-11-15T00:00"))
    problem = _for_problems(group, {f.escalation_id: f for f in stream}, {})
    assert [(o.escalation_id, o.datacenter) for o in problem.occurrences] == [
        ("ESC-1", "GB3"),
        ("ESC-2", "VA1"),
    ]
    assert problem.datacenters == ("GB3", "VA1")
