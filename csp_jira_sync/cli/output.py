"""Rendering for the CLI: rich tables for people, JSON for machines (`--format json`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()
errors = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"


FORMAT_OPTION = typer.Option(Format.table, "--format", help="table for people, json for machines")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    return out


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear error (what is wrong, what to do) and return the exit to raise."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)
