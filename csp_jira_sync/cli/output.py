"""Rendering for the CLI: rich tables for people, JSON for machines (`--format json`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

console = Console()
errors = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"


FORMAT_OPTION = typer.Option(Format.table, "--format", help="table for people, json for machines")


def progress_bar(fmt: Format) -> Progress:
    """A progress bar on the console, silent when the output is JSON for a machine."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=fmt is Format.json,
    )


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, one_line: bool = False
) -> Table:
    """A table for people; `one_line` keeps each row on one line, cutting long cells with …"""
    out = Table(title=title, title_justify="left")
    if not one_line:
        for column in columns:
            out.add_column(column)
    else:
        widths = [max([len(c), *(len(str(row[i])) for row in rows)]) for i, c in enumerate(columns)]
        for column, width in zip(columns[:-1], widths[:-1], strict=True):
            out.add_column(column, no_wrap=True, min_width=width)
        # The last column gets what is left of the terminal, cut with … (3 = a cell's border
        # and padding, 4 = the table's outer borders).
        left = console.width - sum(w + 3 for w in widths[:-1]) - 4
        out.add_column(columns[-1], no_wrap=True, overflow="ellipsis", max_width=max(3, left))
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    return out


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear error (what is wrong, what to do) and return the exit to raise."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)
