"""`import-requests` and `dead-letters`: getting requests in, and seeing what could not go out."""

from __future__ import annotations

from pathlib import Path

import typer

from csp_jira_sync.cli.app import app
from csp_jira_sync.cli.commands_daemon import ENV_FILE, cli_settings
from csp_jira_sync.cli.output import (
    FORMAT_OPTION,
    Format,
    console,
    emit_json,
    fail,
    progress_bar,
    table,
)
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.customer_requests.files import parse_request_file
from csp_jira_sync.errors import CspSyncError
from csp_jira_sync.store import InboxItem, Store


@app.command("import-requests")
def import_requests(
    file: Path = typer.Argument(..., help="customer requests as JSON Lines (.jsonl) or CSV (.csv)"),
    env_file: Path | None = ENV_FILE,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Queue customer requests from a file. Every row is checked first; if any is rejected,
    nothing is imported and each rejected row is listed with its line and what to fix."""
    if not file.is_file():
        raise fail(f"{file}: no such file; give a .jsonl or .csv file of requests")
    settings = cli_settings(env_file)
    try:
        mappings = load_mappings(settings.mappings_dir)
        total = max(
            0,
            sum(1 for line in file.open(encoding="utf-8", errors="replace") if line.strip())
            - (file.suffix.lower() == ".csv"),
        )
        with progress_bar(fmt) as bar:
            task = bar.add_task("checking rows", total=total)
            parsed = parse_request_file(file, mappings, lambda n: bar.update(task, completed=n))
        if parsed.problems:
            rejected = [
                {"line": p.line, "id": p.request_id, "problem": p.problem} for p in parsed.problems
            ]
            if fmt is Format.json:
                emit_json({"imported": 0, "rejected": rejected})
            else:
                console.print(
                    table(
                        f"Rejected rows in {file} (nothing was imported)",
                        ["line", "id", "what is wrong"],
                        [(r["line"], r["id"], r["problem"]) for r in rejected],
                    )
                )
            raise typer.Exit(2)
        store = Store.open(settings.database_url)
        store.migrate()
        accepted = store.accept([InboxItem.of_request(r, source="import") for r in parsed.requests])
        store.close()
    except CspSyncError as exc:
        raise fail(str(exc)) from None
    new = sum(1 for a in accepted if not a.duplicate)
    summary = {
        "rows": parsed.rows,
        "queued": new,
        "already_imported": len(accepted) - new,
        "rejected": 0,
    }
    if fmt is Format.json:
        emit_json(summary)
        return
    console.print(table(f"Imported {file}", ["what", "requests"], list(summary.items())))
    console.print(
        "Queued requests go to Jira with the running daemon, or now with `csp-jira-sync sync`."
    )


@app.command("dead-letters")
def dead_letters(
    requeue: list[int] = typer.Option(
        [], "--requeue", help="put this dead-lettered event back in the queue (repeatable)"
    ),
    requeue_all: bool = typer.Option(
        False, "--requeue-all", help="put every dead-lettered event back"
    ),
    reason: str | None = typer.Option(
        None,
        "--reason",
        help="with --requeue-all: only the dead letters whose reason contains this text "
        "(case-insensitive), e.g. the reason `reconcile` groups them by",
    ),
    drop: list[int] = typer.Option(
        [],
        "--drop",
        help="give up on this dead-lettered event for good, releasing the later events of its "
        "escalation it holds back (repeatable)",
    ),
    env_file: Path | None = ENV_FILE,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List events Jira refused for good, with Jira's reason and how many later events of the
    same escalation each holds back; requeue them once fixed, or drop them."""
    if drop and (requeue or requeue_all):
        raise fail("--drop cannot be combined with --requeue or --requeue-all; run them one by one")
    if reason is not None and not requeue_all:
        raise fail(
            "--reason selects dead letters for a bulk requeue: give it with --requeue-all, "
            "e.g. --requeue-all --reason 'does not exist'"
        )
    if reason is not None and not reason.strip():
        raise fail("--reason is empty: give text that the dead letters' reasons contain")
    settings = cli_settings(env_file)
    try:
        store = Store.open(settings.database_url)
        store.migrate()
        try:
            if drop:
                _drop(store, drop, fmt)
                return
            if reason is not None:
                ids = dead_letters_with_reason(store, reason)
                count = store.requeue_dead(ids)
                if fmt is Format.json:
                    emit_json({"requeued": count, "reason": reason})
                else:
                    console.print(
                        f"requeued {count} event(s) whose reason contains {reason!r}",
                        highlight=False,
                        markup=False,
                    )
                return
            if requeue or requeue_all:
                count = store.requeue_dead(None if requeue_all else requeue)
                if fmt is Format.json:
                    emit_json({"requeued": count})
                else:
                    console.print(f"requeued {count} event(s)")
                return
            rows = store.dead_letters(limit=1000)
            holds = store.held().by_dead_letter
        finally:
            store.close()
    except CspSyncError as exc:
        raise fail(str(exc)) from None
    data = [
        {
            "id": r.id,
            "kind": r.kind,
            "subject": r.subject,
            "event_id": r.event_id,
            "customer": r.customer,
            "holds": holds.get(r.id, 0),
            "reason": r.last_error or "",
        }
        for r in rows
    ]
    if fmt is Format.json:
        emit_json(data)
        return
    console.print(
        table(
            "Dead letters",
            ["id", "kind", "subject", "event", "customer", "holds", "reason"],
            [tuple(d.values()) for d in data],
        )
    )


def dead_letters_with_reason(store: Store, text: str) -> list[int]:
    """Ids of the dead letters whose reason contains `text`, case-insensitively."""
    wanted = text.strip().casefold()
    return [
        row.id
        for row in store.dead_letters(limit=1_000_000)
        if wanted in (row.last_error or "").casefold()
    ]


def _drop(store: Store, ids: list[int], fmt: Format) -> None:
    holds = store.held().by_dead_letter
    dropped = store.drop_dead(ids)
    missing = sorted(set(ids) - {row.id for row in dropped})
    released = [
        {
            "id": row.id,
            "kind": row.kind,
            "subject": row.subject,
            "event_id": row.event_id,
            "released": holds.get(row.id, 0),
        }
        for row in dropped
    ]
    if fmt is Format.json:
        emit_json({"dropped": released, "not_dead_letters": missing})
    else:
        for entry in released:
            console.print(
                f"dropped dead letter {entry['id']} ({entry['kind']} {entry['subject']}, "
                f"event {entry['event_id']}); {entry['released']} later event(s) of "
                f"{entry['subject']} no longer wait for it",
                highlight=False,
            )
    if missing:
        raise fail(
            f"no dead letter with id {', '.join(map(str, missing))}: "
            "list them with `csp-jira-sync dead-letters`"
        )
