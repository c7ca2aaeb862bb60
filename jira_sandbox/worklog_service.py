"""Worklogs: add, update and delete with Jira's estimate adjustment, and the change feeds.

`/worklog/updated` and `/worklog/deleted` page 1,000 items at a time, oldest first, from `since`
(inclusive: an item stamped exactly `since` is returned again, which is why a client paging on
time alone stalls when more than 1,000 items share a millisecond - tap-jira). Items changed during
the minute before the request are withheld, as Jira does, so a reader that stores `until` never
skips a change that was still being written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jira_sandbox import errors as msg
from jira_sandbox.errors import JiraApiError
from jira_sandbox.feed import ChangeFeed
from jira_sandbox.fields import FieldReader, time_spent_seconds
from jira_sandbox.model import Issue, RichText, User, Worklog
from jira_sandbox.state import SandboxState
from jira_sandbox.timefmt import parse_duration, parse_jira_datetime

FEED_PAGE_SIZE = 1000
FEED_WITHHELD_MS = 60_000
LIST_LIMIT = 1000
ADJUST_MODES = ("auto", "leave", "new", "manual")


@dataclass(frozen=True)
class FeedPage:
    items: list[tuple[int, int]]  # (time_ms, worklog id)
    since: int
    until: int
    last_page: bool


def read_feed(feed: ChangeFeed, since_ms: int, now_ms: int) -> FeedPage:
    cutoff = now_ms - FEED_WITHHELD_MS
    items, more = feed.page(since_ms, cutoff, FEED_PAGE_SIZE)
    until = items[-1][0] if items else since_ms
    return FeedPage(items, since_ms, until, not more)


def started_ms(raw: Any, default_ms: int) -> int:
    if raw is None:
        return default_ms
    parsed = parse_jira_datetime(raw) if isinstance(raw, str) else None
    if parsed is None:
        raise JiraApiError(
            400,
            [],
            {
                "started": (
                    f"Could not parse the start date '{raw}'. Use Jira's format "
                    "yyyy-MM-dd'T'HH:mm:ss.SSSZ, e.g. 2026-11-25T10:00:00.000+0000."
                )
            },
        )
    return parsed


def _rich_comment(state: SandboxState[Any], version: int, raw: Any) -> RichText | None:
    if raw is None:
        return None
    reader = FieldReader(state, version=version, screen=frozenset())
    rich = reader.rich_text("comment", raw)
    if reader.errors:
        raise JiraApiError(400, [], reader.errors)
    return rich


def _properties(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, list) or not all(
        isinstance(item, dict) and isinstance(item.get("key"), str) for item in raw
    ):
        raise JiraApiError(400, [msg.INVALID_PAYLOAD])
    return {item["key"]: item.get("value") for item in raw}


def _duration_param(params: Mapping[str, str], name: str, required_for: str) -> int:
    raw = params.get(name)
    seconds = parse_duration(raw) if raw else None
    if seconds is None:
        raise JiraApiError(
            400,
            [],
            {name: f"adjustEstimate={required_for} needs a valid {name} duration such as 2h 30m."},
        )
    return seconds


def _adjust_mode(params: Mapping[str, str]) -> str:
    mode = params.get("adjustEstimate", "auto")
    if mode not in ADJUST_MODES:
        raise JiraApiError(
            400, [f"adjustEstimate must be one of {', '.join(ADJUST_MODES)}; got '{mode}'."]
        )
    return mode


def _reduce(issue: Issue, seconds: int) -> None:
    if issue.remaining_estimate is not None:
        issue.remaining_estimate = max(0, issue.remaining_estimate - seconds)


def add_worklog(
    state: SandboxState[Any],
    actor: User,
    issue: Issue,
    body: Any,
    params: Mapping[str, str],
    version: int,
) -> Worklog:
    if not isinstance(body, dict):
        raise JiraApiError(400, [msg.INVALID_PAYLOAD])
    seconds = time_spent_seconds(body)
    if seconds is None or seconds <= 0:
        raise JiraApiError(400, [], {"timeLogged": msg.TIME_SPENT_REQUIRED})
    mode = _adjust_mode(params)
    new_estimate = _duration_param(params, "newEstimate", "new") if mode == "new" else None
    reduce_by = _duration_param(params, "reduceBy", "manual") if mode == "manual" else None
    now = state.clock.now_ms()
    worklog = Worklog(
        id=state.new_id(),
        issue_id=issue.id,
        author=actor.name,
        update_author=actor.name,
        comment=_rich_comment(state, version, body.get("comment")),
        started_ms=started_ms(body.get("started"), now),
        time_spent_seconds=seconds,
        created_ms=now,
        updated_ms=now,
        visibility=body.get("visibility") if isinstance(body.get("visibility"), dict) else None,
        properties=_properties(body.get("properties")),
    )
    if mode == "auto":
        _reduce(issue, seconds)
    elif mode == "new":
        issue.remaining_estimate = new_estimate
    elif mode == "manual":
        assert reduce_by is not None
        _reduce(issue, reduce_by)
    state.add_worklog(issue, worklog)
    state.touch(issue)
    return worklog


def log_work_in_transition(
    state: SandboxState[Any],
    actor: User,
    issue: Issue,
    seconds: int,
    started_raw: str | None,
    comment: RichText | None,
) -> Worklog:
    """A worklog added through `update.worklog` of a transition (adjusts the estimate: auto)."""
    now = state.clock.now_ms()
    worklog = Worklog(
        id=state.new_id(),
        issue_id=issue.id,
        author=actor.name,
        update_author=actor.name,
        comment=comment,
        started_ms=started_ms(started_raw, now),
        time_spent_seconds=seconds,
        created_ms=now,
        updated_ms=now,
    )
    _reduce(issue, seconds)
    state.add_worklog(issue, worklog)
    return worklog


def find_worklog(issue: Issue, worklog_id: str) -> Worklog:
    for worklog in issue.worklogs:
        if str(worklog.id) == worklog_id:
            return worklog
    raise JiraApiError(404, [f"Cannot find worklog with id: '{worklog_id}'."])


def update_worklog(
    state: SandboxState[Any],
    actor: User,
    issue: Issue,
    worklog: Worklog,
    body: Any,
    params: Mapping[str, str],
    version: int,
) -> Worklog:
    if not isinstance(body, dict):
        raise JiraApiError(400, [msg.INVALID_PAYLOAD])
    mode = _adjust_mode(params)
    if mode == "manual":
        raise JiraApiError(400, ["adjustEstimate=manual is not available when updating a worklog."])
    new_estimate = _duration_param(params, "newEstimate", "new") if mode == "new" else None
    seconds = worklog.time_spent_seconds
    if "timeSpent" in body or "timeSpentSeconds" in body:
        parsed = time_spent_seconds(body)
        if parsed is None or parsed <= 0:
            raise JiraApiError(400, [], {"timeLogged": msg.TIME_SPENT_REQUIRED})
        seconds = parsed
    started = started_ms(body["started"], worklog.started_ms) if "started" in body else None
    comment = _rich_comment(state, version, body["comment"]) if "comment" in body else None
    properties = _properties(body.get("properties")) if "properties" in body else None
    # Everything is valid: apply.
    if mode == "auto" and issue.remaining_estimate is not None:
        issue.remaining_estimate = max(
            0, issue.remaining_estimate - (seconds - worklog.time_spent_seconds)
        )
    elif mode == "new":
        issue.remaining_estimate = new_estimate
    worklog.time_spent_seconds = seconds
    if started is not None:
        worklog.started_ms = started
    if "comment" in body:
        worklog.comment = comment
    if "visibility" in body:
        visibility = body["visibility"]
        worklog.visibility = visibility if isinstance(visibility, dict) else None
    if properties is not None:
        worklog.properties = properties
    worklog.update_author = actor.name
    worklog.updated_ms = max(state.clock.now_ms(), worklog.created_ms)
    state.worklog_changed(worklog)
    state.touch(issue)
    return worklog


def delete_worklog(
    state: SandboxState[Any], issue: Issue, worklog: Worklog, params: Mapping[str, str]
) -> None:
    mode = _adjust_mode(params)
    if mode == "new":
        issue.remaining_estimate = _duration_param(params, "newEstimate", "new")
    elif mode == "manual":
        increase = _duration_param(params, "increaseBy", "manual")
        if issue.remaining_estimate is not None:
            issue.remaining_estimate += increase
    elif mode == "auto" and issue.remaining_estimate is not None:
        issue.remaining_estimate += worklog.time_spent_seconds
    state.remove_worklog(issue, worklog)
    state.touch(issue)


def worklogs_by_ids(state: SandboxState[Any], body: Any) -> list[Worklog]:
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) for item in ids
    ):
        raise JiraApiError(400, ["The request must carry 'ids', a list of worklog ids (integers)."])
    if len(ids) > LIST_LIMIT:
        raise JiraApiError(
            400,
            [
                f"The request contains {len(ids)} worklog ids; at most {LIST_LIMIT} "
                "can be fetched at once."
            ],
        )
    found: list[Worklog] = []
    for worklog_id in dict.fromkeys(ids):
        worklog = state.worklogs_by_id.get(worklog_id)
        if worklog is not None:
            found.append(worklog)
    return found


MOVE_LIMIT = 5000


def move_worklogs(
    state: SandboxState[Any], source: Issue, body: Any, params: Mapping[str, str]
) -> None:
    """Cloud's bulk move (`POST /issue/{id}/worklog/move`): the worklogs keep their ids and
    move to the issue the body names. With adjustEstimate=auto the source's remaining estimate
    grows and the destination's shrinks by the time moved.

    Each moved worklog's `updated` becomes the time of the move and it is recorded again in
    `/worklog/updated`, as an edit of its issue id would be. Atlassian's documentation says only
    that no webhooks, notifications or history are produced; a reader that must not rely on this
    re-reads the month by JQL, which finds the worklog on its new issue either way."""
    if not isinstance(body, dict):
        raise JiraApiError(400, [msg.INVALID_PAYLOAD])
    ids = body.get("ids")
    target_ref = body.get("issueIdOrKey")
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        or not isinstance(target_ref, str)
        or not target_ref
    ):
        raise JiraApiError(
            400,
            [
                "The request must carry 'ids', a non-empty list of worklog ids (integers), and "
                "'issueIdOrKey', the destination issue."
            ],
        )
    if len(ids) > MOVE_LIMIT:
        raise JiraApiError(
            400, [f"You can't move more than {MOVE_LIMIT} worklogs at once; got {len(ids)}."]
        )
    mode = params.get("adjustEstimate", "auto")
    if mode not in ("auto", "leave"):
        raise JiraApiError(400, [f"adjustEstimate must be one of auto, leave; got '{mode}'."])
    target = state.issue(target_ref)
    if target.id == source.id:
        raise JiraApiError(400, ["The destination issue must differ from the source issue."])
    on_source = {w.id: w for w in source.worklogs}
    missing = [i for i in dict.fromkeys(ids) if i not in on_source]
    if missing:
        raise JiraApiError(
            404,
            [f"Worklogs {', '.join(map(str, missing))} are not on issue {source.key}."],
        )
    now = state.clock.now_ms()
    moved = 0
    for worklog_id in dict.fromkeys(ids):
        worklog = on_source[worklog_id]
        source.worklogs.remove(worklog)
        target.worklogs.append(worklog)
        worklog.issue_id = target.id
        worklog.updated_ms = max(now, worklog.created_ms)
        state.worklog_changed(worklog)
        moved += worklog.time_spent_seconds
    if mode == "auto":
        if source.remaining_estimate is not None:
            source.remaining_estimate += moved
        _reduce(target, moved)
    state.touch(source)
    state.touch(target)
