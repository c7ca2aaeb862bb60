"""The create metadata of a project: its issue types and their create screens' fields.

The paged `issue/createmeta/{project}/issuetypes` (Cloud, Data Center 8.4+); where it answers 404
(Data Center before 8.4, some proxies) the older
`issue/createmeta?projectKeys=...&expand=projects.issuetypes.fields`, one call for everything.
Atlassian's Data Center 10.3 description has only the paged form, so the sandbox serves only
that; tests/cli/test_check_live_jira820.py reads the older one from an independent DC 8.20.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from csp_jira_sync.checks.calls import Answer, Calls
from csp_jira_sync.jira.model import older_createmeta_types


@dataclass(frozen=True)
class IssueTypeMeta:
    id: str
    name: str
    # field id -> required; None until read (the paged metadata reads fields per type)
    fields: dict[str, bool] | None = None


@dataclass
class CreateMeta:
    answer: Answer
    types: dict[str, IssueTypeMeta] = field(default_factory=dict)  # casefolded name -> type
    older: bool = False  # read from the older createmeta (one call with the fields)

    def offers(self) -> tuple[str, ...]:
        return tuple(sorted(t.name for t in self.types.values()))


def read_create_meta(calls: Calls, project: str) -> CreateMeta:
    paged = calls.paged(f"issue/createmeta/{project}/issuetypes", ("issueTypes", "values"))
    if not paged.failed:
        types = {
            str(t["name"]).casefold(): IssueTypeMeta(str(t["id"]), str(t["name"]))
            for t in paged.value
        }
        return CreateMeta(paged, types)
    if paged.error is None or paged.error.status != 404:
        return CreateMeta(paged)
    # Data Center before 8.4 (and proxies that pass only older paths) has no paged metadata.
    older = calls.get(
        "issue/createmeta",
        {"projectKeys": project, "expand": "projects.issuetypes.fields"},
    )
    call = f"{paged.call} → {paged.error.status}, then {older.call}"
    if older.failed:
        return CreateMeta(Answer(call, error=older.error), older=True)
    types = {
        str(t["name"]).casefold(): IssueTypeMeta(
            str(t["id"]),
            str(t["name"]),
            {str(fid): bool(f.get("required")) for fid, f in (t.get("fields") or {}).items()},
        )
        for t in older_createmeta_types(older.value, project)
    }
    return CreateMeta(Answer(call, value=older.value), types, older=True)


def screen_fields(
    calls: Calls, project: str, meta: IssueTypeMeta, via: Answer
) -> tuple[Answer, dict[str, bool]]:
    """The create screen's fields (id -> required): from the older metadata `via` already
    read, else one paged call for the type."""
    if meta.fields is not None:
        return via, meta.fields
    answer = calls.paged(f"issue/createmeta/{project}/issuetypes/{meta.id}", ("fields", "values"))
    if answer.failed:
        return answer, {}
    return answer, {str(f["fieldId"]): bool(f.get("required")) for f in answer.value}
