"""The JQL functions the sandbox runs: now(), startOf*/endOf* and currentUser().

Function names are case-insensitive, as in Jira. startOf*/endOf* take an optional offset
"(+/-)n(yMwdhm)"; a bare number counts in the function's own unit (startOfMonth(-1) is the
start of last month). An offset in the function's own unit moves the moment first and then
snaps to the period (endOfMonth(-1) is the last millisecond of last month); any other unit
is added to the snapped boundary (startOfMonth("+14d") is the 15th of this month).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .dates import ONE_MS, local_wall_clock, period_start, shift
from .fields import Kind
from .model import JqlContext, UserRef
from .nodes import FunctionCall

_OFFSET = re.compile(r"([-+]?)(\d+)([yMwdhm]?)")


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    max_args: int
    returns: Kind  # Kind.DATE or Kind.USER
    unit: str = ""  # the period a startOf/endOf function snaps to
    at_end: bool = False


_SPECS = (
    FunctionSpec("now", 0, Kind.DATE),
    FunctionSpec("startOfDay", 1, Kind.DATE, "d"),
    FunctionSpec("endOfDay", 1, Kind.DATE, "d", at_end=True),
    FunctionSpec("startOfWeek", 1, Kind.DATE, "w"),
    FunctionSpec("endOfWeek", 1, Kind.DATE, "w", at_end=True),
    FunctionSpec("startOfMonth", 1, Kind.DATE, "M"),
    FunctionSpec("endOfMonth", 1, Kind.DATE, "M", at_end=True),
    FunctionSpec("startOfYear", 1, Kind.DATE, "y"),
    FunctionSpec("endOfYear", 1, Kind.DATE, "y", at_end=True),
    FunctionSpec("currentUser", 0, Kind.USER),
)
FUNCTIONS = {spec.name.casefold(): spec for spec in _SPECS}


def validate(call: FunctionCall, field: str, field_kind: Kind) -> list[str]:
    """Jira's refusals for `call` used as a value of `field` (spelled as typed)."""
    spec = FUNCTIONS.get(call.name.casefold())
    if spec is None:
        return [f"Unable to find JQL function '{call.display()}'."]
    if len(call.args) > spec.max_args:
        expected = "'0'" if spec.max_args == 0 else f"between '0' and '{spec.max_args}'"
        return [
            f"Function '{call.name}' expected {expected} arguments but received '{len(call.args)}'."
        ]
    if call.args and _OFFSET.fullmatch(call.args[0].strip()) is None:
        return [
            f"Duration for function '{call.name}' should have the format (+/-)n(yMwdm), "
            "e.g -1M for 1 month earlier."
        ]
    if field_kind == Kind.DATE and spec.returns != Kind.DATE:
        return [
            f"A date for the field '{field}' provided by the function '{call.name}' is not valid."
        ]
    if field_kind != spec.returns:
        return [
            f"A value provided by the function '{call.name}' is invalid for the field '{field}'."
        ]
    return []


def resolve_date(call: FunctionCall, ctx: JqlContext) -> datetime:
    """The instant a validated date function names, in the context's clock and zone."""
    spec = FUNCTIONS[call.name.casefold()]
    now = _aware_now(ctx)
    if not spec.unit:
        return now
    amount, unit = _offset(call, spec.unit)
    local = local_wall_clock(now, ctx.timezone)
    if unit == spec.unit:  # move, then snap to the period
        local = shift(local, amount, unit)
        amount = 0
    boundary = period_start(local, spec.unit, ctx.first_day_of_week)
    if spec.at_end:
        boundary = shift(boundary, 1, spec.unit)
    if amount and unit in "yMwd":
        boundary = shift(boundary, amount, unit)
        amount = 0
    moment = boundary.replace(tzinfo=ctx.timezone).astimezone(UTC)
    if amount:  # hours and minutes are absolute, not wall-clock
        moment += timedelta(hours=amount) if unit == "h" else timedelta(minutes=amount)
    return moment - ONE_MS if spec.at_end else moment


def resolve_user(call: FunctionCall, ctx: JqlContext) -> UserRef | None:
    """currentUser(): the searcher, or None when searching anonymously (matches nobody)."""
    return ctx.current_user


def _offset(call: FunctionCall, own_unit: str) -> tuple[int, str]:
    if not call.args:
        return 0, own_unit
    match = _OFFSET.fullmatch(call.args[0].strip())
    assert match is not None  # validate() refused anything else
    amount = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
    return amount, match.group(3) or own_unit


def _aware_now(ctx: JqlContext) -> datetime:
    now = ctx.now
    return now if now.tzinfo is not None else now.replace(tzinfo=ctx.timezone)
