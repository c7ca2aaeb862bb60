"""The Jira gateway: the narrow set of Jira calls the daemon makes, on the `jira` package's
session (auth, base URL) with our own retry policy around every call.

Every call here is one HTTP request to Jira unless its docstring says otherwise; the worker's
call budget (issue 3: at most 1.05 calls per intake event) is spent in this module only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import jira
import requests

from csp_jira_sync.errors import JiraError, JiraPermanent
from csp_jira_sync.jira.jql import string as jql_string
from csp_jira_sync.jira.model import (
    FoundIssue,
    IssueDraft,
    IssueLink,
    IssueRef,
    older_createmeta_types,
)
from csp_jira_sync.jira.pace import PaceConfig
from csp_jira_sync.jira.pacer import Pacer
from csp_jira_sync.jira.port import Gateway, IssueComment, LinkType, ReconcileGateway
from csp_jira_sync.jira.reports_port import (
    AttachmentInfo,
    FilterShare,
    ReportsGateway,
    SavedFilter,
)
from csp_jira_sync.jira.retry import RetryPolicy
from csp_jira_sync.jira.text import fit_description, from_adf, plain_text, to_adf, wiki_text
from csp_jira_sync.settings import Settings

log = logging.getLogger(__name__)

Deployment = Literal["cloud", "datacenter"]
CallObserver = Callable[[str, str, float], None]  # (operation, outcome, seconds)

SEARCH_PAGE = 100


class JiraGateway:
    def __init__(
        self,
        client: jira.JIRA,
        *,
        server: str,
        api_version: str = "2",
        deployment: Literal["auto", "cloud", "datacenter"] = "auto",
        policy: RetryPolicy | None = None,
        observe: CallObserver | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._jira = client
        self._server = server.rstrip("/")
        self._api = api_version
        self._configured_deployment = deployment
        self._deployment: Deployment | None = None if deployment == "auto" else deployment
        self._deployment_lock = threading.Lock()
        self._policy = policy or RetryPolicy()
        self._observe = observe
        # Every call waits its turn here, whoever makes it: one pace for the whole daemon.
        self._pacer = pacer or Pacer(PaceConfig(max_concurrency=1_000_000))
        # Workflows reuse transition ids across issues of a type: learning them once saves a
        # GET per status change (see transition_to).
        self._transition_ids: dict[str, str] = {}
        self._lookup_locks: dict[str, threading.Lock] = {}
        self._lookup_locks_lock = threading.Lock()
        self._project_ids: dict[str, str] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self._server}/rest/api/{self._api}/{path.lstrip('/')}"

    def _send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        idempotent: bool,
        params: dict[str, Any] | None = None,
        body: Any = None,
        files: Any = None,
        headers: dict[str, Any] | None = None,
    ) -> Any:
        def once() -> Any:
            with self._pacer.call() as call:
                started = time.perf_counter()
                outcome = "error"
                try:
                    response: requests.Response = self._jira._session.request(
                        method,
                        self._url(path),
                        params=params,
                        json=body,
                        files=files,
                        headers=headers or {},
                    )
                    call.answered(response.status_code, response.headers)
                    outcome = "ok"
                    return response.json() if response.content else None
                except jira.JIRAError as exc:
                    outcome = str(exc.status_code or "error")
                    if exc.status_code:
                        answered = exc.response.headers if exc.response is not None else None
                        call.answered(exc.status_code, answered)
                    raise
                except requests.RequestException:
                    outcome = "network"
                    raise
                finally:
                    if self._observe is not None:
                        self._observe(operation, outcome, time.perf_counter() - started)

        return self._policy.run(operation, once, idempotent=idempotent)

    def _rich(self, text: str) -> Any:
        """Descriptions and comments: wiki-markup strings on v2, ADF on v3; plain text either
        way (jira/text.py: markup of a sender's making is escaped, markers defused)."""
        return to_adf(plain_text(text)) if self._api == "3" else wiki_text(text)

    def _pages(
        self,
        path: str,
        *,
        operation: str,
        keys: tuple[str, ...],
        page_size: int,
        params: dict[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The items of a `startAt`-paged GET, page by page as they are consumed (a caller that
        stops early sends no further call). The items are under the first of `keys` the
        answer has; the pages end at an empty one, at `isLast`, or, where the answer has no
        `isLast` (comments, worklogs, Data Center's search), once `total` items are read."""
        start = 0
        while True:
            page = self._send(
                "GET",
                path,
                operation=operation,
                idempotent=True,
                params={**(params or {}), "startAt": start, "maxResults": page_size},
            )
            items = next((page[key] for key in keys if key in page), None) or []
            yield from items
            start += len(items)
            if not items or page.get("isLast", start >= int(page.get("total", 0))):
                return

    def _token_pages(
        self, path: str, *, operation: str, key: str, body: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """The items under `key` of a POST paged by `nextPageToken` (Cloud's `/search/jql`), page
        by page as they are consumed; the pages end at `isLast`, or, where the answer has no
        `isLast`, at the first without a token."""
        token: str | None = None
        while True:
            page = self._send(
                "POST",
                path,
                operation=operation,
                idempotent=True,
                body={**body, "nextPageToken": token} if token else body,
            )
            yield from page.get(key, [])
            token = page.get("nextPageToken")
            if page.get("isLast", token is None) or not token:
                return

    # -- deployment ------------------------------------------------------------------------

    @property
    def deployment(self) -> Deployment:
        """Cloud or Data Center, from serverInfo when configured as auto (one call, cached)."""
        if self._deployment is None:
            # Every issue path reads it (by key on Data Center): the lanes starting together
            # must not each send their own serverInfo (bench_delivery: 18 extra calls).
            with self._deployment_lock:
                if self._deployment is None:
                    info = self.server_info()
                    kind = str(info.get("deploymentType", "")).lower()
                    self._deployment = "cloud" if kind == "cloud" else "datacenter"
        return self._deployment

    def _issue_path(self, issue: IssueRef) -> str:
        """Where an issue is in the REST API: by id on Cloud (an id survives a move between
        projects), by key on Data Center (a moved issue's old key still leads to it there, and
        jira820, an independent Data Center imitation, answers 404 to an id: every update,
        comment and transition of the main job was a dead letter against it)."""
        return f"issue/{issue.key if self.deployment == 'datacenter' else issue.id}"

    def server_info(self) -> dict[str, Any]:
        info: dict[str, Any] = self._send(
            "GET", "serverInfo", operation="serverInfo", idempotent=True
        )
        return info

    # -- issues ----------------------------------------------------------------------------

    def create_issue(self, draft: IssueDraft) -> IssueRef:
        """One call carries fields, labels, priority, properties and links. Not retried when
        the failure leaves open whether it landed: the caller looks before it creates again."""
        fields: dict[str, Any] = {
            "project": {"key": draft.project},
            "issuetype": {"name": draft.issue_type},
            "summary": draft.summary,
            "description": self._rich(fit_description(draft.description)),
            "labels": list(draft.labels),
        }
        if draft.priority:
            fields["priority"] = {"name": draft.priority}
        if draft.components:
            fields["components"] = [{"name": c} for c in draft.components]
        body: dict[str, Any] = {"fields": fields}
        if draft.properties:
            body["properties"] = [{"key": k, "value": v} for k, v in draft.properties.items()]
        if draft.links:
            body["update"] = {
                "issuelinks": [
                    {
                        "add": {
                            "type": {"name": link.type_name},
                            "outwardIssue": {"key": link.outward_issue_key},
                        }
                    }
                    for link in draft.links
                ]
            }
        try:
            created = self._post_create(draft, body)
        except JiraPermanent as exc:
            if not draft.links or "issuelinks" not in str(exc):
                raise
            # "Linked Issues" is not on this project's create screen (jiralert #95): a refused
            # create did not land, so create without the link and link in a second call.
            del body["update"]
            created = self._post_create(draft, body)
            ref = IssueRef(id=str(created["id"]), key=str(created["key"]))
            for link in draft.links:
                try:
                    self.link(ref, link)
                except JiraError as link_error:
                    # The issue exists and must be recorded; a missing link is not worth a
                    # second issue. Logged for the nightly reconciliation to repair.
                    log.warning("jira.link_failed issue=%s error=%s", ref.key, link_error)
            return ref
        ref = IssueRef(id=str(created["id"]), key=str(created["key"]))
        if draft.links:
            self._link_what_the_create_dropped(ref, draft.links)
        return ref

    def _link_what_the_create_dropped(self, ref: IssueRef, links: Sequence[IssueLink]) -> None:
        """Jira applies a create's `update.issuelinks` or refuses the create; jira820 (an
        independent Data Center imitation) answers 201 and drops them, and a reopened
        escalation's new issue lost its link to the old one without a word. One read of the
        new issue's links (only creates that carry links: a later generation, a Problem) and
        a second call for any missing. A failure here is logged, as in the fallback above:
        the issue exists and must be recorded."""
        try:
            present = self.linked_issue_keys(ref)
            for link in links:
                if link.outward_issue_key not in present:
                    log.warning(
                        "jira.create_dropped_link issue=%s to=%s", ref.key, link.outward_issue_key
                    )
                    self.link(ref, link)
        except JiraError as exc:
            log.warning("jira.link_failed issue=%s error=%s", ref.key, exc)

    def _post_create(self, draft: IssueDraft, body: dict[str, Any]) -> Any:
        try:
            return self._send("POST", "issue", operation="create", idempotent=False, body=body)
        except JiraPermanent as exc:
            # The dead letter must say what was sent: Jira's "Specify a valid issue type" does
            # not name it, and a Jira Software project has no "Service Request" (issue 7).
            raise JiraPermanent(
                f"{exc} (sent issue type {draft.issue_type!r} in project {draft.project}; "
                "`csp-jira-sync check --live` lists the issue types the project has)",
                status=exc.status,
            ) from None

    def link(self, issue: IssueRef, link: IssueLink) -> None:
        self._send(
            "POST",
            "issueLink",
            operation="link",
            idempotent=False,
            body={
                "type": {"name": link.type_name},
                "inwardIssue": {"key": issue.key},
                "outwardIssue": {"key": link.outward_issue_key},
            },
        )

    def find_by_label(self, label: str, *, reconcile: Sequence[str] = ()) -> list[IssueRef]:
        """Issues carrying `label` in the project-independent index. On Cloud, ids named in
        `reconcile` are read through the index lag (search is eventually consistent)."""
        jql = f"labels = {jql_string(label)} ORDER BY created ASC"
        return [found.ref for found in self.search(jql, fields=("summary",), reconcile=reconcile)]

    def search(
        self,
        jql: str,
        *,
        fields: Sequence[str] = (
            "summary",
            "labels",
            "status",
            "description",
            "created",
            "updated",
        ),
        reconcile: Sequence[str] = (),
        page_size: int = SEARCH_PAGE,
    ) -> Iterator[FoundIssue]:
        """All issues matching `jql`, page by page: `/search/jql` with `nextPageToken` on Cloud
        (its `/search` answers 410 since 2025), `/search` with `startAt` on Data Center."""
        if self.deployment == "cloud":
            body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": page_size}
            if reconcile:
                body["reconcileIssues"] = [int(i) for i in reconcile]
            issues = self._token_pages("search/jql", operation="search", key="issues", body=body)
        else:
            issues = self._pages(
                "search",
                operation="search",
                keys=("issues",),
                page_size=page_size,
                params={"jql": jql, "fields": ",".join(fields)},
            )
        yield from (_found(raw) for raw in issues)

    def get_issue(self, issue: IssueRef | str, fields: Sequence[str] = ("*all",)) -> FoundIssue:
        raw = self._send(
            "GET",
            self._issue_path(issue) if isinstance(issue, IssueRef) else f"issue/{issue}",
            operation="get",
            idempotent=True,
            params={"fields": ",".join(fields)},
        )
        return _found(raw)

    def edit_labels(
        self, issue: IssueRef, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        """Label add/remove operations, so labels people set in between are kept."""
        operations = [{"add": label} for label in add] + [{"remove": label} for label in remove]
        if operations:
            self._send(
                "PUT",
                self._issue_path(issue),
                operation="edit",
                idempotent=True,
                body={"update": {"labels": operations}},
            )

    # -- comments and transitions ----------------------------------------------------------

    def add_comment(self, issue: IssueRef, body: str) -> None:
        self._send(
            "POST",
            f"{self._issue_path(issue)}/comment",
            operation="comment",
            idempotent=False,
            body={"body": self._rich(fit_description(body))},
        )

    def comments_containing(self, issue: IssueRef, marker: str) -> bool:
        """Whether any comment on the issue contains `marker` (all pages). Used only to
        recover after a crash or an unanswered call, never on the normal path."""
        comments = self._pages(
            f"{self._issue_path(issue)}/comment",
            operation="comments",
            keys=("comments",),
            page_size=100,
        )
        return any(marker in from_adf(c.get("body")) for c in comments)

    def delete_comments_containing(self, issue: IssueRef, markers: Sequence[str]) -> int:
        """Delete the comments that carry any of `markers`: all pages are read before the first
        delete, since a delete shifts the pages after it. A comment already gone (a repeat
        after a crash) counts as deleted."""
        if not markers:
            return 0
        comments = list(
            self._pages(
                f"{self._issue_path(issue)}/comment",
                operation="comments",
                keys=("comments",),
                page_size=100,
            )
        )
        doomed = [
            str(c["id"])
            for c in comments
            if any(marker in from_adf(c.get("body")) for marker in markers)
        ]
        for comment_id in doomed:
            try:
                self._send(
                    "DELETE",
                    f"{self._issue_path(issue)}/comment/{comment_id}",
                    operation="delete_comment",
                    idempotent=True,
                )
            except JiraPermanent as exc:
                if exc.status != 404:
                    raise
        return len(doomed)

    def transition_to(self, issue: IssueRef, status: str, *, comment: str | None = None) -> bool:
        """Move the issue to `status` through whichever transition leads there, carrying the
        comment in the same call. False when no transition from the current status leads
        there (a person moved the issue elsewhere, or it is there already)."""
        wanted = status.casefold()
        known = self._transition_ids.get(wanted)
        if known is None:
            # Lanes that need the same status at once wait for one lookup instead of each
            # sending its own GET (bench_jira_calls.py: 14-32 extra calls per 2,000 events).
            with self._lookup_lock(wanted):
                known = self._transition_ids.get(wanted)
                if known is None:
                    found = self._transition_leading_to(issue, wanted)
                    if found is None:
                        return False
                    return self._transition_or_leave(issue, status, found, comment)
        try:
            self._do_transition(issue, known, comment)
            return True
        except JiraPermanent as exc:
            if exc.status != 400:
                raise
            # Not available from this issue's current status: ask Jira which are.
        found = self._transition_leading_to(issue, wanted)
        if found is None:
            return False
        return self._transition_or_leave(issue, status, found, comment)

    def _lookup_lock(self, wanted: str) -> threading.Lock:
        with self._lookup_locks_lock:
            return self._lookup_locks.setdefault(wanted, threading.Lock())

    def _transition_leading_to(self, issue: IssueRef, wanted: str) -> str | None:
        """The id of the transition from the issue's current status to `wanted` (casefolded),
        learned for the next issues; None when none leads there."""
        available = self._send(
            "GET",
            f"{self._issue_path(issue)}/transitions",
            operation="transitions",
            idempotent=True,
        )
        for transition in available.get("transitions", []):
            target = str(transition.get("to", {}).get("name", "")).casefold()
            if target == wanted:
                self._transition_ids[wanted] = str(transition["id"])
                return str(transition["id"])
        return None

    def _transition_or_leave(
        self, issue: IssueRef, status: str, transition_id: str, comment: str | None
    ) -> bool:
        try:
            self._do_transition(issue, transition_id, comment)
        except JiraPermanent as exc:
            if exc.status != 400:
                raise
            # The transition's screen requires a field the daemon does not set (jiralert
            # #118, alertmanager #4431): leave the move to a person, and let the caller post
            # the comment on its own.
            log.warning("jira.transition_refused issue=%s to=%s reason=%s", issue.key, status, exc)
            return False
        return True

    def _do_transition(self, issue: IssueRef, transition_id: str, comment: str | None) -> None:
        body: dict[str, Any] = {"transition": {"id": transition_id}}
        if comment:
            body["update"] = {"comment": [{"add": {"body": self._rich(fit_description(comment))}}]}
        self._send(
            "POST",
            f"{self._issue_path(issue)}/transitions",
            operation="transition",
            idempotent=False,
            body=body,
        )

    # -- worklogs and groups, for the allowance ledger ---------------------------------------

    def worklogs_updated(self, since_ms: int) -> dict[str, Any]:
        """One page of `/worklog/updated` from `since_ms` (inclusive; the last minute withheld)."""
        return self._worklog_feed("worklog/updated", since_ms)

    def worklogs_deleted(self, since_ms: int) -> dict[str, Any]:
        """One page of `/worklog/deleted` from `since_ms` (inclusive; the last minute withheld)."""
        return self._worklog_feed("worklog/deleted", since_ms)

    def _worklog_feed(self, path: str, since_ms: int) -> dict[str, Any]:
        try:
            page: dict[str, Any] = self._send(
                "GET", path, operation="worklog_feed", idempotent=True, params={"since": since_ms}
            )
        except JiraPermanent as exc:
            if exc.status != 404:
                raise
            # jira820 (an independent Data Center 8.20 imitation) has no worklog feeds: say
            # which call is missing, not only "404", so the operator knows what to look at.
            raise JiraPermanent(
                f"{exc} (GET /rest/api/{self._api}/{path}: this Jira has no worklog change "
                "feed, so the allowance ledger cannot be read)",
                status=404,
            ) from None
        return page

    def worklogs_by_ids(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The worklogs with these ids (at most 1,000, Jira's limit); deleted ones are absent."""
        found: list[dict[str, Any]] = self._send(
            "POST",
            "worklog/list",
            operation="worklog_list",
            idempotent=True,  # a read, even though it is a POST
            body={"ids": list(ids)},
        )
        return found

    def issue_worklogs(
        self,
        issue_id: str,
        *,
        started_after_ms: int | None = None,
        started_before_ms: int | None = None,
        page_size: int = 5000,
    ) -> Iterator[dict[str, Any]]:
        """Every worklog of one issue, page by page (one call per page) on Cloud, where both
        bounds are exclusive as Jira's `startedAfter` and `startedBefore` are. Data Center's
        call takes no parameters: all the issue's worklogs in one answer, bounds ignored
        (the caller filters)."""
        if self.deployment == "datacenter":
            everything = self._send(
                "GET", f"issue/{issue_id}/worklog", operation="worklog_issue", idempotent=True
            )
            yield from everything.get("worklogs") or []
            return
        bounds: dict[str, Any] = {}
        if started_after_ms is not None:
            bounds["startedAfter"] = started_after_ms
        if started_before_ms is not None:
            bounds["startedBefore"] = started_before_ms
        yield from self._pages(
            f"issue/{issue_id}/worklog",
            operation="worklog_issue",
            keys=("worklogs",),
            page_size=page_size,
            params=bounds,
        )

    def group_members(self, group: str, *, page_size: int = 50) -> Iterator[dict[str, Any]]:
        """The members of `group`, deactivated ones included (someone who left mid-month
        still logged that time), page by page (`/group/member`, both deployments). A group
        that does not exist is Jira's 404, raised, never an empty group."""
        yield from self._pages(
            "group/member",
            operation="group_members",
            keys=("values",),
            page_size=page_size,
            params={"groupname": group, "includeInactiveUsers": "true"},
        )

    # -- reports, saved filters and Problems (issue 9; the `ReportsGateway` port) ---------------

    def project_issue_types(self, project: str) -> tuple[str, ...]:
        """The issue types `project` offers on create, from the paged create metadata (Cloud:
        `issueTypes`; Data Center: `values` with `isLast`). One call per 50 types. Where that
        answers 404 (Data Center before 8.4, some proxies, jira820), the older
        `issue/createmeta?projectKeys=`, as `check --live` reads it (`checks/create_meta.py`):
        without it every report and Problem was refused while `check --live` passed."""
        try:
            types = list(
                self._pages(
                    f"issue/createmeta/{project}/issuetypes",
                    operation="createmeta",
                    keys=("issueTypes", "values"),
                    page_size=50,
                )
            )
        except JiraPermanent as exc:
            if exc.status != 404:
                raise
            older = self._send(
                "GET",
                "issue/createmeta",
                operation="createmeta",
                idempotent=True,
                params={"projectKeys": project},
            )
            types = older_createmeta_types(older, project)
        return tuple(str(t["name"]) for t in types)

    def set_summary_and_description(
        self, issue: IssueRef, *, summary: str, wiki: str, adf: dict[str, Any]
    ) -> None:
        """Rewrite a report's summary and description in one edit: `wiki` on v2, `adf` on v3.
        Only for issues the daemon owns outright (reports, Problems' descriptions are not
        touched); escalations get comments instead (jiralert #160)."""
        description: Any = adf if self._api == "3" else fit_description(wiki)
        fields = {"summary": summary, "description": description}
        try:
            self._send(
                "PUT",
                self._issue_path(issue),
                operation="edit",
                idempotent=True,
                body={"fields": fields},
            )
        except JiraPermanent as exc:
            # "Field 'summary' cannot be set. It is not on the appropriate screen" (jiralert
            # #95): the summary set at create stays, the description is what carries the numbers.
            if exc.status != 400 or "summary" not in str(exc):
                raise
            log.warning("jira.summary_not_editable issue=%s", issue.key)
            self._send(
                "PUT",
                self._issue_path(issue),
                operation="edit",
                idempotent=True,
                body={"fields": {"description": description}},
            )

    def _issue_field(self, issue: IssueRef, name: str) -> Any:
        """One field of the issue as Jira holds it now (one GET; None when it is absent)."""
        raw = self._send(
            "GET",
            self._issue_path(issue),
            operation="get",
            idempotent=True,
            params={"fields": name},
        )
        return (raw.get("fields") or {}).get(name)

    def attachments(self, issue: IssueRef) -> list[AttachmentInfo]:
        infos = [_attachment_info(a) for a in self._issue_field(issue, "attachment") or []]
        return sorted(infos, key=lambda a: (int(a.id) if a.id.isdigit() else 0, a.id))

    def add_attachment(
        self, issue: IssueRef, *, filename: str, content: bytes, media_type: str
    ) -> AttachmentInfo:
        """One multipart upload. Not retried blindly: a second copy would only be tidied away
        on the next publish, but there is no reason to make one."""
        created = self._send(
            "POST",
            f"{self._issue_path(issue)}/attachments",
            operation="attach",
            idempotent=False,
            files={"file": (filename, content, media_type)},
            # Jira refuses uploads without this header (XSRF); the session's JSON content type
            # must go so that requests writes the multipart boundary.
            headers={"X-Atlassian-Token": "no-check", "Content-Type": None},
        )
        return _attachment_info(created[0])

    def delete_attachment(self, attachment_id: str) -> None:
        self._send("DELETE", f"attachment/{attachment_id}", operation="detach", idempotent=True)

    def linked_issue_keys(self, issue: IssueRef) -> frozenset[str]:
        keys: set[str] = set()
        for link in self._issue_field(issue, "issuelinks") or []:
            for side in ("inwardIssue", "outwardIssue"):
                other = link.get(side)
                if isinstance(other, dict) and other.get("key"):
                    keys.add(str(other["key"]))
        return frozenset(keys)

    def get_filter(self, filter_id: str) -> SavedFilter | None:
        try:
            raw = self._send("GET", f"filter/{filter_id}", operation="filter", idempotent=True)
        except JiraPermanent as exc:
            # Jira answers 400 (not 404) for a filter that was deleted or is no longer shared
            # with us; either way it has to be made again.
            if exc.status in (400, 404):
                return None
            raise
        return _saved_filter(raw)

    def find_filter(self, name: str) -> SavedFilter | None:
        """Our filter named `name`, compared without case as Jira keeps names unique. Cloud
        searches by name (substring, then the exact name picked here); Data Center has no
        filter search, so its owner's favourites are read (a new filter is a favourite)."""
        wanted = name.casefold()
        candidates: Iterable[dict[str, Any]]
        if self.deployment == "datacenter":
            favourites = self._send("GET", "filter/favourite", operation="filter", idempotent=True)
            candidates = favourites or []
        else:
            candidates = self._pages(  # lazy: no page after the one naming it is read
                "filter/search",
                operation="filter",
                keys=("values",),
                page_size=50,
                params={
                    "filterName": name,
                    "isSubstringMatch": "true",
                    "expand": "description,jql,sharePermissions,viewUrl",
                },
            )
        named = (raw for raw in candidates if str(raw.get("name", "")).casefold() == wanted)
        return next((_saved_filter(raw) for raw in named), None)

    def create_filter(self, *, name: str, jql: str, description: str) -> SavedFilter:
        raw = self._send(
            "POST",
            "filter",
            operation="filter_create",
            idempotent=False,
            body={"name": name, "jql": jql, "description": description, "favourite": True},
        )
        return _saved_filter(raw)

    def update_filter(
        self, filter_id: str, *, name: str, jql: str, description: str
    ) -> SavedFilter:
        raw = self._send(
            "PUT",
            f"filter/{filter_id}",
            operation="filter_update",
            idempotent=True,
            body={"name": name, "jql": jql, "description": description},
        )
        return _saved_filter(raw)

    def share_filter(self, filter_id: str, share: FilterShare) -> None:
        body = (
            {"type": "project", "projectId": share.value}
            if share.type == "project"
            else {"type": "group", "groupname": share.value}
        )
        self._send(
            "POST",
            f"filter/{filter_id}/permission",
            operation="filter_share",
            idempotent=False,
            body=body,
        )

    def project_id(self, project: str) -> str:
        known = self._project_ids.get(project)
        if known is None:
            raw = self._send("GET", f"project/{project}", operation="project", idempotent=True)
            known = self._project_ids[project] = str(raw["id"])
        return known

    # -- metadata, for `check --live` -------------------------------------------------------

    def read(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """One GET of `path` under the REST API (metadata: projects, issue types, priorities,
        create screens), with the retry policy. `check --live` decides what to read, so that
        each of its rows can show the call it made (`call_text`) and what Jira answered."""
        return self._send(
            "GET", path, operation="check", idempotent=True, params=dict(params or {})
        )

    def call_text(self, path: str, params: Mapping[str, str | int] | None = None) -> str:
        """The call `read(path, params)` makes, as an operator would type it (no credentials)."""
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        return f"GET /rest/api/{self._api}/{path.lstrip('/')}" + (f"?{query}" if query else "")

    # -- the allowance ledger's writes (issue 8) ---------------------------------------------

    def edit_description(self, issue: IssueRef, description: str) -> None:
        """Rewrite the description of an issue the daemon owns (the allowance tracking issue;
        never an issue people write in: alertmanager #4407)."""
        self._send(
            "PUT",
            self._issue_path(issue),
            operation="edit",
            idempotent=True,
            body={"fields": {"description": self._rich(fit_description(description))}},
        )

    # -- the nightly reconciliation (issue 12; the `ReconcileGateway` port) ----------------

    def issue_comments(self, issue: IssueRef) -> list[IssueComment]:
        """Every comment on the issue, oldest first: one call per 100 comments."""
        comments = self._pages(
            f"{self._issue_path(issue)}/comment",
            operation="comments",
            keys=("comments",),
            page_size=100,
        )
        return [_comment(raw) for raw in comments]

    def issue_link_types(self) -> list[LinkType]:
        raw = self._send("GET", "issueLinkType", operation="link_types", idempotent=True)
        return [
            LinkType(
                name=str(t.get("name", "")),
                inward=str(t.get("inward", "")),
                outward=str(t.get("outward", "")),
            )
            for t in (raw or {}).get("issueLinkTypes") or []
        ]

    def close_issue(self, issue: IssueRef, *, comment: str | None) -> str | None:
        """Through the first transition that leads to a status of Jira's done category (its
        name differs per workflow: jiralert #50), the comment in `update.comment`: one GET of
        the transitions, one POST. None when no such transition is available from where the
        issue is, or its screen wants a field the daemon does not set (jiralert #118)."""
        available = self._send(
            "GET",
            f"{self._issue_path(issue)}/transitions",
            operation="transitions",
            idempotent=True,
        )
        for transition in (available or {}).get("transitions") or []:
            target = transition.get("to") or {}
            category = (target.get("statusCategory") or {}).get("key")
            if category != "done":
                continue
            try:
                self._do_transition(issue, str(transition["id"]), comment)
            except JiraPermanent as exc:
                if exc.status != 400:
                    raise
                log.warning("jira.close_refused issue=%s reason=%s", issue.key, exc)
                return None
            return str(target.get("name", ""))
        return None


def _found(raw: dict[str, Any]) -> FoundIssue:
    fields = raw.get("fields") or {}
    status = fields.get("status") or {}
    return FoundIssue(
        ref=IssueRef(id=str(raw["id"]), key=str(raw["key"])),
        labels=tuple(fields.get("labels") or ()),
        status=str(status.get("name", "")) if isinstance(status, dict) else "",
        summary=str(fields.get("summary") or ""),
        description=from_adf(fields.get("description")),
        created=str(fields.get("created") or ""),
        updated=str(fields.get("updated") or ""),
        fields=fields,
    )


def _comment(raw: dict[str, Any]) -> IssueComment:
    author = raw.get("author") or {}
    who = author.get("displayName") or author.get("name") or author.get("accountId") or "?"
    return IssueComment(
        id=str(raw.get("id", "")),
        author=str(who),
        created=str(raw.get("created") or ""),
        body=from_adf(raw.get("body")),
    )


def _attachment_info(raw: dict[str, Any]) -> AttachmentInfo:
    return AttachmentInfo(
        id=str(raw["id"]), filename=str(raw.get("filename", "")), size=int(raw.get("size") or 0)
    )


def _saved_filter(raw: dict[str, Any]) -> SavedFilter:
    shares: list[FilterShare] = []
    for share in raw.get("sharePermissions") or []:
        if share.get("type") == "project" and isinstance(share.get("project"), dict):
            shares.append(FilterShare("project", str(share["project"].get("id", ""))))
        elif share.get("type") == "group" and isinstance(share.get("group"), dict):
            shares.append(FilterShare("group", str(share["group"].get("name", ""))))
    return SavedFilter(
        id=str(raw["id"]),
        name=str(raw.get("name", "")),
        jql=str(raw.get("jql") or ""),
        description=str(raw.get("description") or ""),
        shares=tuple(shares),
        view_url=str(raw.get("viewUrl") or ""),
    )


def pace_config(settings: Settings) -> PaceConfig:
    return PaceConfig(
        max_concurrency=settings.jira_max_concurrency,
        max_calls_per_second=settings.jira_max_calls_per_second,
    )


def connect(
    settings: Settings, *, observe: CallObserver | None = None, pacer: Pacer | None = None
) -> JiraGateway:
    """A gateway for the configured Jira. Makes no call until the first request."""
    token = settings.jira_token.get_secret_value()
    auth: dict[str, Any] = (
        {"token_auth": token}
        if settings.jira_auth == "bearer"
        else {"basic_auth": (settings.jira_user, token)}
    )
    client = jira.JIRA(
        server=settings.jira_url,
        get_server_info=False,
        max_retries=0,  # we own the retry policy (see retry.py)
        timeout=settings.jira_timeout_seconds,
        options={"rest_api_version": settings.jira_api_version, "check_update": False},
        **auth,
    )
    # Room for every call the pacer lets run at once; requests' default of 10 connections
    # per host would open and drop a connection for each call beyond that.
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=1, pool_maxsize=max(10, settings.jira_max_concurrency), max_retries=0
    )
    client._session.mount("http://", adapter)
    client._session.mount("https://", adapter)
    read_environment_once(client._session, settings.jira_url)
    return JiraGateway(
        client,
        server=settings.jira_url,
        api_version=settings.jira_api_version,
        deployment=settings.jira_deployment,
        policy=RetryPolicy(
            max_attempts=settings.jira_max_attempts, max_wait=settings.jira_max_backoff_seconds
        ),
        observe=observe,
        pacer=pacer or Pacer(pace_config(settings)),
    )


def read_environment_once(session: requests.Session, url: str) -> None:
    """Take the proxy and CA bundle that the environment names for `url` (HTTPS_PROXY,
    NO_PROXY, REQUESTS_CA_BUNDLE, ...) into `session` now, and stop requests from reading
    the environment again on every call: it walked os.environ for each Jira call, 4% of the
    worker's CPU (bench_delivery.py). Jira's URL is fixed and the environment is the one
    the daemon started with, so every call gets what it would have read itself. (.netrc,
    the one other thing requests reads there, applies only to a session without auth.)"""
    found = session.merge_environment_settings(url, {}, None, session.verify, session.cert)
    session.proxies = found["proxies"]
    session.verify = found["verify"]
    session.cert = found["cert"]
    session.trust_env = False


# mypy proves here that the concrete gateway satisfies the Protocol the core depends on.
_SATISFIES_PORT: type[Gateway] = JiraGateway
_SATISFIES_REPORTS_PORT: type[ReportsGateway] = JiraGateway
_SATISFIES_RECONCILE_PORT: type[ReconcileGateway] = JiraGateway
