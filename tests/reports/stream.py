"""The fixed event stream of the golden tests: customer globex (America/New_York), around
ISO week 2026-W47 (Mon 16 Nov 05:00 UTC to Mon 23 Nov 05:00 UTC in New York)."""

from __future__ import annotations

from datetime import UTC, datetime

from csp_jira_sync.reports.facts import EscalationFacts, EventFact, JiraFacts

IM = "Incident Management"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ev(
    n: int,
    when: str,
    status: str,
    severity: str,
    service: str,
    dc: str,
    title: str,
    fp: str | None = None,
) -> EventFact:
    return EventFact(f"e{n}-{when}", at(when), status, severity, service, dc, title, fp)


def jira(
    key: str, *, done: bool, resolved: str | None = None, category: str | None = IM
) -> JiraFacts:
    return JiraFacts(
        key, "Done" if done else "In Progress", done, at(resolved) if resolved else None, category
    )


def escalation(
    n: int,
    events: list[EventFact],
    keys: tuple[str, ...],
    j: JiraFacts | None,
) -> EscalationFacts:
    return EscalationFacts(f"ESC-{n}", "globex", tuple(events), keys, j)


DISK = ("db", "nyc1")


def stream() -> list[EscalationFacts]:
    return [
        # Sunday 23:30 in New York, Monday in UTC: the previous week.
        escalation(
            1,
            [
                ev(1, "2026-11-16T04:30", "open", "sev2", *DISK, "Disk 91% full on db-07"),
                ev(1, "2026-11-16T05:00", "acknowledged", "sev2", *DISK, "Disk 91% full on db-07"),
                ev(1, "2026-11-16T06:00", "resolved", "sev2", *DISK, "Disk 91% full on db-07"),
            ],
            ("CSP-1",),
            jira("CSP-1", done=True, resolved="2026-11-16T06:00"),
        ),
        # Monday 00:00 in New York: this week, under sev1 although later events say sev3;
        # reopened inside the window on Tuesday; the daemon applied the resolve 3 minutes late.
        escalation(
            2,
            [
                ev(2, "2026-11-16T05:00", "open", "sev1", *DISK, "disk 97% full on db-12"),
                ev(2, "2026-11-16T05:10", "acknowledged", "sev1", *DISK, "disk 97% full on db-12"),
                ev(2, "2026-11-16T07:00", "resolved", "sev1", *DISK, "disk 97% full on db-12"),
                ev(2, "2026-11-17T10:00", "open", "sev3", *DISK, "disk 97% full on db-12"),
                ev(2, "2026-11-17T12:00", "resolved", "sev3", *DISK, "disk 97% full on db-12"),
            ],
            ("CSP-2",),
            jira("CSP-2", done=True, resolved="2026-11-17T12:03"),
        ),
        # The NOC resolved it, a person reopened it in Jira: unresolved, as Jira says.
        escalation(
            3,
            [
                ev(3, "2026-11-18T15:00", "open", "sev2", "web", "", "5xx spike", "fp-web-5xx"),
                ev(
                    3,
                    "2026-11-18T15:30",
                    "acknowledged",
                    "sev2",
                    "web",
                    "",
                    "5xx spike",
                    "fp-web-5xx",
                ),
                ev(3, "2026-11-18T16:00", "resolved", "sev2", "web", "", "5xx spike", "fp-web-5xx"),
            ],
            ("CSP-3",),
            jira("CSP-3", done=False),
        ),
        # Resolved by hand in Jira, never by the NOC; its category label removed by a person.
        escalation(
            4,
            [
                ev(4, "2026-11-20T09:00", "open", "sev2", "web", "ams2", "5xx again", "fp-web-5xx"),
            ],
            ("CSP-4",),
            jira("CSP-4", done=True, resolved="2026-11-20T13:00", category=None),
        ),
        # Sunday 23:59 in New York: the last minute of the week.
        escalation(
            5,
            [
                ev(5, "2026-11-23T04:59", "open", "sev4", *DISK, "Disk 88% full on db-03"),
                ev(5, "2026-11-23T05:59", "acknowledged", "sev4", *DISK, "Disk 88% full on db-03"),
            ],
            ("CSP-5",),
            jira("CSP-5", done=False),
        ),
        # Monday 00:00 in New York: the next week.
        escalation(
            6,
            [
                ev(6, "2026-11-23T05:00", "open", "sev1", *DISK, "Disk 99% full on db-01"),
            ],
            ("CSP-6",),
            jira("CSP-6", done=False),
        ),
        # The previous week, reopened in the previous week; Jira did not return its issue.
        escalation(
            7,
            [
                ev(7, "2026-11-10T12:00", "open", "sev3", "web", "ams2", "5xx", "fp-web-5xx"),
                ev(7, "2026-11-10T13:00", "resolved", "sev3", "web", "ams2", "5xx", "fp-web-5xx"),
                ev(7, "2026-11-12T10:00", "open", "sev3", "web", "ams2", "5xx", "fp-web-5xx"),
            ],
            ("CSP-7",),
            None,
        ),
        # October, reopened this week after the reopen window: a second issue, still one
        # escalation, reported as a reopen.
        escalation(
            8,
            [
                ev(8, "2026-10-20T10:00", "open", "sev2", "mail", "nyc1", "Mail queue stuck"),
                ev(8, "2026-10-20T11:00", "resolved", "sev2", "mail", "nyc1", "Mail queue stuck"),
                ev(8, "2026-11-19T10:00", "open", "sev2", "mail", "nyc1", "Mail queue stuck"),
            ],
            ("CSP-8", "CSP-9"),
            jira("CSP-9", done=False),
        ),
    ]
