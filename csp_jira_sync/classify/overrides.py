"""Hard overrides a CSP lead writes in `mappings/classification_overrides.yaml`: a phrase that
decides a request on its own, before the model is asked ("always out of scope").

A phrase matches the subject or the sender's own words (not the quoted chain, not the
signature) as whole words, in any case, with any spacing between its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from csp_jira_sync.classify.cleaning import clean_body, clean_subject
from csp_jira_sync.classify.dataset import OUT_OF_SCOPE, activity_names
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.config.yaml_source import load_yaml
from csp_jira_sync.errors import ConfigError

OVERRIDES_FILE = "classification_overrides.yaml"
TRIAGE = "triage"


class OverrideRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    target: str = Field(min_length=1)  # an activity (slug, title or label), out-of-scope, triage
    kind: str | None = None  # for out-of-scope: technical-support, sales, auto-reply, ...
    phrases: tuple[str, ...] = Field(min_length=1)


class OverrideFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    overrides: tuple[OverrideRule, ...] = ()


@dataclass(frozen=True)
class Override:
    id: str
    target: str  # a slug, out-of-scope or triage
    kind: str | None
    matched: str


@dataclass(frozen=True)
class Overrides:
    rules: tuple[tuple[OverrideRule, str, tuple[re.Pattern[str], ...]], ...] = field(default=())

    def matching(self, subject: str, body: str) -> Override | None:
        """The first override (in file order) one of whose phrases the request says."""
        if not self.rules:
            return None
        text = f"{clean_subject(subject).text}\n{clean_body(body).own}"
        for rule, target, patterns in self.rules:
            for pattern in patterns:
                found = pattern.search(text)
                if found:
                    return Override(rule.id, target, rule.kind, found.group())
        return None


def compile_overrides(rules: tuple[OverrideRule, ...], catalog: Catalog) -> Overrides:
    names = activity_names(catalog)
    compiled = []
    for rule in rules:
        target = (
            TRIAGE
            if rule.target.strip().casefold() == TRIAGE
            else names.get(" ".join(rule.target.casefold().split()))
        )
        if target is None:
            raise ConfigError(
                f"override {rule.id!r}: target {rule.target!r} is not an activity of the catalog "
                "(slug, title or label), 'out-of-scope' nor 'triage'"
            )
        patterns = tuple(
            re.compile(
                r"(?<!\w)" + r"\s+".join(re.escape(w) for w in phrase.split()) + r"(?!\w)",
                re.IGNORECASE,
            )
            for phrase in rule.phrases
        )
        compiled.append((rule, target, patterns))
    return Overrides(tuple(compiled))


def load_overrides(directory: Path, catalog: Catalog) -> Overrides:
    """`directory/classification_overrides.yaml`, or no overrides when the file is absent."""
    path = directory / OVERRIDES_FILE
    if not path.exists():
        return Overrides()
    document = load_yaml(path)
    data: Any = document.data or {}
    try:
        parsed = OverrideFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: invalid overrides: {problems}") from None
    try:
        return compile_overrides(parsed.overrides, catalog)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


__all__ = ["OUT_OF_SCOPE", "OVERRIDES_FILE", "Override", "Overrides", "load_overrides"]
