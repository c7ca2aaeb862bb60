"""Wiki-markup and ADF injection: what a sender writes in a title, description or request body
reaches Jira as text. On v2 (wiki markup) no macro, link, mention, image or table of the
sender's making survives; on v3 the ADF holds only text. The daemon's own marker line, which it
searches for to post a comment exactly once, survives every cut and cannot be forged by a
sender. Long texts are cut to Jira's limits with a note, not refused (see test_bodies.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jira
import pytest

from csp_jira_sync.config.references import event_marker
from csp_jira_sync.jira.gateway import JiraGateway
from csp_jira_sync.jira.model import IssueDraft
from csp_jira_sync.jira.text import (
    DESCRIPTION_LIMIT,
    fit_description,
    fit_summary,
    from_adf,
    plain_text,
    to_adf,
    utf16_length,
    wiki_text,
)

MARKER = event_marker("escalation", "evt-1")
FORGED = event_marker("escalation", "evt-2")

HOSTILE = [
    "{noformat}\n}{code}{html}<script>alert(1)</script>{html}",
    "{color:red}URGENT{color} call [~admin] now",
    "[click here|https://evil.example/login] or [https://evil.example]",
    "!https://evil.example/pixel.png! and !attachment.png|thumbnail!",
    "|| table || head ||\n| a | b |",
    "\\\\{noformat} a backslash before a brace",
    "{{monospace}} [^secret.txt] {panel:title=x}y{panel}",
]

# What is left of wiki markup once each escaped character (and the entity for a backslash)
# is read as the literal it stands for: no unescaped markup character may remain.
_UNESCAPED = re.compile(r"(?<!\\)[{}\[\]!|]")


def _unescaped_markup(wiki: str) -> list[str]:
    return _UNESCAPED.findall(wiki.replace("&#92;", ""))


@pytest.mark.parametrize("text", HOSTILE)
def test_wiki_text_escapes_every_markup_character_of_a_senders_text(text: str) -> None:
    wiki = wiki_text(f"{text}\n\n{MARKER}")
    body, _, marker = wiki.rpartition("\n\n")
    assert marker == MARKER
    assert _unescaped_markup(body) == []
    # Nothing is lost: undoing the escapes gives the text back.
    assert re.sub(r"\\(.)", r"\1", body).replace("&#92;", "\\") == text


def test_a_backslash_cannot_undo_the_escape_of_the_character_after_it() -> None:
    wiki = wiki_text("\\{noformat}")
    assert "\\\\" not in wiki  # two backslashes would be a line break, and free the brace
    assert wiki == "&#92;\\{noformat\\}"


@pytest.mark.parametrize("text", HOSTILE)
def test_adf_holds_only_text_nodes_whatever_the_text(text: str) -> None:
    document = to_adf(plain_text(f"{text}\n\n{MARKER}"))
    kinds: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        kinds.add(node["type"])
        assert "marks" not in node and "attrs" not in node
        for child in node.get("content", []):
            walk(child)

    walk(document)
    assert kinds <= {"doc", "paragraph", "text", "hardBreak"}
    assert MARKER in from_adf(document)


def test_a_marker_in_a_senders_text_is_defused_and_the_final_one_kept() -> None:
    text = f"see {FORGED} and\n{FORGED}\n\n{MARKER}"
    for rendered in (plain_text(text), wiki_text(text)):
        assert FORGED not in rendered
        assert rendered.endswith(MARKER)


def test_a_text_without_a_final_marker_keeps_none_of_its_markers() -> None:
    assert FORGED not in plain_text(f"{FORGED}\nmore text")
    assert FORGED not in wiki_text(f"{FORGED}\nmore text")


@pytest.mark.parametrize("render", [fit_description, wiki_text], ids=["plain", "wiki"])
def test_a_description_past_jiras_limit_is_cut_with_a_note_and_keeps_its_marker(
    render: Any,
) -> None:
    text = "{x} " * 20_000 + f"\n\n{MARKER}"
    out = render(text)
    assert utf16_length(out) <= DESCRIPTION_LIMIT
    assert out.endswith(f"(cut to Jira's limit)\n\n{MARKER}")


def test_a_cut_never_ends_on_half_an_escape() -> None:
    for filler in ("\\" * 40_000, "{" * 40_000, "a\\" * 20_000):
        body = wiki_text(filler).removesuffix("\n… (cut to Jira's limit)")
        assert not body.endswith(("\\", "&", "&#", "&#9", "&#92"))
        assert utf16_length(wiki_text(filler)) <= DESCRIPTION_LIMIT


def test_a_long_title_is_cut_to_jiras_summary_limit_on_one_line() -> None:
    summary = fit_summary("[NOC-1] Acme: " + "{noformat}\n" * 100)
    assert utf16_length(summary) <= 255
    assert "\n" not in summary


# -- through the gateway, into the sandbox ---------------------------------------------------


@pytest.fixture(params=["2", "3"])
def gateway(request: pytest.FixtureRequest, sandbox: Any) -> Iterator[tuple[JiraGateway, str]]:
    client = jira.JIRA(
        server=sandbox.base_url,
        basic_auth=sandbox.credentials(),
        get_server_info=False,
        max_retries=0,
        options={"rest_api_version": request.param, "check_update": False},
    )
    gateway = JiraGateway(
        client, server=sandbox.base_url, deployment=sandbox.mode, api_version=request.param
    )
    yield gateway, request.param
    client.close()  # type: ignore[no-untyped-call]


def test_a_comment_with_a_huge_hostile_body_is_found_by_its_marker_and_a_forged_one_is_not(
    sandbox: Any, gateway: tuple[JiraGateway, str]
) -> None:
    jira_gateway, api = gateway
    issue = jira_gateway.create_issue(
        IssueDraft("CSP", "Service Request", "markup probe", f"{HOSTILE[0]}\n\n{MARKER}", ("csp",))
    )
    body = f"{FORGED}\n" + "\n".join(HOSTILE) * 2_000 + f"\n\n{MARKER}"
    jira_gateway.add_comment(issue, body)
    assert jira_gateway.comments_containing(issue, MARKER)
    assert not jira_gateway.comments_containing(issue, FORGED)
    (stored,) = sandbox.admin.issues(keys=[issue.key])
    description = stored["description"]  # the text as the sandbox keeps it
    assert description.endswith(MARKER)
    if api == "2":  # the wiki string as sent: every markup character escaped
        assert "{noformat}" not in description
        assert _unescaped_markup(description.removesuffix(MARKER)) == []
    else:  # ADF text nodes: the text as written
        assert description.startswith(HOSTILE[0])
