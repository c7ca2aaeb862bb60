"""Separate what the customer wrote now from what they quoted, signed or had a form add.

Customer e-mail carries the thread it answers (`>` lines, "On ... wrote:", Outlook's
"-----Original Message-----" and "From: ... Sent: ..." blocks), a signature (sign-off, phone and
web lines, a legal disclaimer), and portal forms wrap the ask in "Category: ... Description: ...".
The ask the customer is making now is in none of those, so the classifier weighs them apart: the
own text fully, the quoted chain lightly, the signature and form furniture not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from csp_jira_sync.classify.text import normalise_text

_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|tr|antw)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+", re.IGNORECASE
)
# An automatic reply repeats the subject of the message it answers ("Automatic reply: Service
# review"): that echo is our own words, not the sender's, so only the auto-reply marker is kept.
_AUTO_REPLY_PREFIX = re.compile(
    r"^\s*(automatic reply|auto-?reply|autoreply|out of (?:the )?office(?: reply)?|on leave"
    r"|undeliverable|undelivered mail returned to sender|delivery status notification(?: \(failure\))?"
    r"|mail delivery failed|returned mail)\s*:",
    re.IGNORECASE,
)
_TAG = re.compile(
    r"\[\s*(?:external|ext|spam\??|suspicious)\s*\]|\*{1,2}external\*{1,2}", re.IGNORECASE
)
# "Call w/ Priya: ...", "Call - Tom (ACME)", "Spoke with Rob: ...": the header of a CSP's phone
# note names the call, not the ask; left in, every phone note would look like a proactive call.
_CALL_NOTE = re.compile(
    r"^\s*(?:(?:phone|tel\.?|telephone)\s+)?(?:call|spoke|talked|rang|phoned)(?:\s+notes?)?"
    r"(?:\s*(?:w/|with|to|from)\s*[^:\n\-–—]{1,40}?)?\s*(?:\([^)\n]*\))?\s*[:\-–—]\s+",
    re.IGNORECASE,
)

# An address is one thing to a reader but several words to a tokenizer: "lena.vogel@initech.
# example" would put four words between "add" and "contact". Each becomes the single word its
# kind names, which is also what a rule can say about it.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_QUOTE_LINE = re.compile(r"^\s*>")
_ON_WROTE = re.compile(
    r"^\s*(?:on|am|le)\b.{0,200}\b(?:wrote|schrieb|a écrit)\s*:?\s*$", re.IGNORECASE
)
_WROTE_END = re.compile(r"\b(?:wrote|schrieb|a écrit)\s*:?\s*$", re.IGNORECASE)
_ON_START = re.compile(r"^\s*(?:on|am|le)\s+\S", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|forwarded message|ursprüngliche nachricht)\s*-{2,}"
    r"|begin forwarded message:?|_{8,})\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?from:\*?\s+\S", re.IGNORECASE)
_HEADER_ANY = re.compile(r"^\s*\*?(?:from|sent|date|to|cc|subject):\*?(?:\s|$)", re.IGNORECASE)

_SIG_DELIMITER = re.compile(r"^\s*--\s*$")
# Sign-off words are matched case-blind, the name after them only if capitalised, so that
# "Thanks, Maria" ends the message and "Thanks for the update." does not.
_SIGN_OFF = re.compile(
    r"^\s*(?i:(?:(?:kind|best|warm|warmest|many|with|yours|thanks\s+and)\s+)?"
    r"(?:regards|wishes|thanks|thank\s+you|thx|ta|cheers|rgds|br|best|sincerely|faithfully))"
    r"[\s,.!]*(?:[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,2})?\s*$"
)
_SENT_FROM = re.compile(r"^\s*(?:sent from my|get outlook for|sent from mail for)\b", re.IGNORECASE)
_DISCLAIMER = re.compile(
    r"^\s*(?:this (?:e-?mail|message|communication)\b|confidential(?:ity)?\b|disclaimer\b"
    r"|please consider the environment|the information (?:contained|in this)|important notice"
    r"|if you (?:are not|have received))",
    re.IGNORECASE,
)
# A one-letter label ("M: ...", "T. +44 ...") is a footer only with a colon, or with a full stop
# before a number or an address: "P. Adams (finance) asked ..." opens a phone note with a
# person's initial, and is the whole of the note.
_FOOTER = re.compile(
    r"^\s*(?:(?:tel|mob|mobile|ph|phone|office|fax|email|e-mail|web|direct)\s*[:.]\s*\S.*"
    r"|[tmpfew](?:\s*:\s*\S|\.\s*(?:[\d+(]|\S+@|www\.)).*"
    r"|.*\bwww\.\S+.*|\+?[\d(][\d\s()+./-]{7,})$",
    re.IGNORECASE,
)
_FORM_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z /&-]{1,30}?)\s*:\s*(.*)$")
_FORM_KEEP_VALUE = frozenset(
    {
        "category", "sub-category", "subcategory", "type", "request type", "description",
        "details", "summary", "subject", "topic", "question", "issue", "comments", "comment",
        "additional information", "request", "problem description", "title", "service",
    }
)  # fmt: skip
_FORM_DROP = frozenset(
    {
        "priority", "urgency", "impact", "phone", "contact phone", "telephone", "mobile", "name",
        "contact name", "email", "e-mail", "contact email", "requested by", "requester",
        "submitted by", "company", "account", "account number", "customer", "preferred time",
        "preferred contact method", "attachments", "attachment", "reference", "ref",
        "ticket number", "severity", "location", "site",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CleanSubject:
    text: str
    is_reply: bool  # "Re:"/"Fwd:": the thread's topic, which the new ask may have left


@dataclass(frozen=True, slots=True)
class CleanBody:
    own: str  # what the sender wrote now, without signature and form furniture
    quoted: str  # the chain it answers or forwards, header lines removed


def _addresses(text: str) -> str:
    return _EMAIL.sub("email", _URL.sub("link", text))


def clean_subject(subject: str) -> CleanSubject:
    text = _addresses(_TAG.sub(" ", normalise_text(subject))).strip()
    auto = _AUTO_REPLY_PREFIX.match(text)
    if auto:
        return CleanSubject(text=auto.group(1), is_reply=False)
    prefix = _REPLY_PREFIX.match(text)
    if prefix:
        text = text[prefix.end() :]
    text = _CALL_NOTE.sub("", text, count=1)
    return CleanSubject(text=text.strip(), is_reply=prefix is not None)


def clean_body(body: str) -> CleanBody:
    lines = normalise_text(body).split("\n")
    boundary = _reply_boundary(lines)
    own_lines = [line for line in lines[:boundary] if not _QUOTE_LINE.match(line)]
    quoted_lines = [line for line in lines[:boundary] if _QUOTE_LINE.match(line)]
    quoted_lines += lines[boundary:]
    own, quoted = _own_text(own_lines), _quoted_text(quoted_lines)
    return CleanBody(own=_addresses(own), quoted=_addresses(quoted))


def _reply_boundary(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if _QUOTE_LINE.match(line):
            continue
        if _SEPARATOR.match(line) or _ON_WROTE.match(line):
            return index
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _ON_START.match(line) and _WROTE_END.search(following) and len(line) < 200:
            return index
        if _HEADER_FROM.match(line) and any(
            _HEADER_ANY.match(later) for later in lines[index + 1 : index + 5]
        ):
            return index
    return len(lines)


def _own_text(lines: list[str]) -> str:
    kept: list[str] = []
    for line in lines:
        if kept and _ends_message(line):
            break
        if _SENT_FROM.match(line) or _FOOTER.match(line) or line.count("|") >= 2:
            continue
        line = _CALL_NOTE.sub("", line, count=1)
        form = _FORM_LINE.match(line)
        if form:
            key = form.group(1).strip().lower()
            if key in _FORM_DROP:
                continue
            if key in _FORM_KEEP_VALUE:
                line = form.group(2)
        if line.strip() or kept:
            kept.append(line)
    return "\n".join(kept).strip()


def _ends_message(line: str) -> bool:
    return bool(
        _SIG_DELIMITER.match(line)
        or _SIGN_OFF.match(line)
        or _SENT_FROM.match(line)
        or _DISCLAIMER.match(line)
    )


def _quoted_text(lines: list[str]) -> str:
    kept: list[str] = []
    for raw in lines:
        line = re.sub(r"^(?:\s*>)+\s?", "", raw)
        if _SEPARATOR.match(line) or _ON_WROTE.match(line) or _WROTE_END.search(line):
            continue
        header = _HEADER_ANY.match(line)
        if header:
            if line.strip().lower().startswith(("subject:", "*subject:")):
                kept.append(line.split(":", 1)[1])
            continue
        kept.append(line)
    return "\n".join(kept).strip()
