"""`mappings/classification.yaml` as frozen, validated models: the rules a CSP lead reads and edits.

Every key is explained in the header of the shipped file. Unknown keys are rejected, and each
phrase is compiled while loading, so a mistyped rule stops `load_classification_rules` with the
file and line instead of silently never matching.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from csp_jira_sync.classify.dataset import LabelledRequest
from csp_jira_sync.classify.phrases import PhraseError, parse_phrase
from csp_jira_sync.classify.text import PLAIN, Lexicon
from csp_jira_sync.config.catalog import SLUG

RULE_ID = r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$"
Weight = Annotated[float, Field(ge=-20, le=20)]
Factor = Annotated[float, Field(ge=0, le=5)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Scoring(_Frozen):
    """How evidence adds up, and when the answer is `triage` instead of a guess."""

    min_score: float = Field(default=2.5, gt=0)
    min_margin: float = Field(default=1.0, ge=0)
    min_ratio: float = Field(default=1.3, ge=1)
    out_of_scope_ratio: float = Field(default=2.0, ge=1)
    out_of_scope_guard: float = Field(default=4.0, ge=0)
    subject_weight: Factor = 1.0
    reply_subject_weight: Factor = 0.6
    quoted_weight: Factor = 0.3
    quoted_weight_when_body_thin: Factor = 0.8
    thin_body_words: int = Field(default=6, ge=0)
    ask_boost: Factor = 1.25
    context_weight: Factor = 0.4
    typo_weight: Factor = 0.8
    typo_min_length: int = Field(default=5, ge=3)
    typo_two_edits_length: int = Field(default=9, ge=4)
    max_gap: int = Field(default=5, ge=1, le=20)
    confidence_scale: float = Field(default=4.0, gt=0)
    example_weight: float = Field(default=0.0, ge=0, le=20)  # 0: examples never consulted
    example_neighbours: int = Field(default=5, ge=1, le=50)
    example_min_similarity: float = Field(default=0.2, ge=0, le=1)
    example_min_terms: int = Field(default=6, ge=1)  # content words a request needs to compare
    example_min_shared: int = Field(default=2, ge=1)  # content words a neighbour must share


class Words(_Frozen):
    """Word lists that shape how text is read, before any rule looks at it."""

    synonyms: dict[str, str] = {}
    compounds: dict[str, str] = {}
    not_typos: tuple[str, ...] = ()
    generic_subject_words: tuple[str, ...] = ()
    ask_markers: tuple[str, ...] = ()
    context_lead_ins: tuple[str, ...] = ()
    context_phrases: tuple[str, ...] = ()
    topic_switches: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()

    @field_validator("synonyms")
    @classmethod
    def _single_words(cls, value: dict[str, str]) -> dict[str, str]:
        for written, meant in value.items():
            if len(written.split()) != 1 or len(meant.split()) != 1:
                raise ValueError(
                    f"synonym {written!r}: {meant!r} must map one word to one word; "
                    "use alternatives in a phrase for longer forms"
                )
        return {k.casefold(): v.casefold() for k, v in value.items()}

    @field_validator("compounds")
    @classmethod
    def _two_words(cls, value: dict[str, str]) -> dict[str, str]:
        for written, meant in value.items():
            if len(written.split()) != 2 or len(meant.split()) != 1:
                raise ValueError(
                    f"compound {written!r}: {meant!r} must map two words to one word, "
                    "as in 'data center: datacenter'"
                )
        return {" ".join(k.casefold().split()): v.casefold() for k, v in value.items()}

    @property
    def lexicon(self) -> Lexicon:
        compounds: dict[tuple[str, str], str] = {}
        for written, meant in self.compounds.items():
            first, second = written.split()
            compounds[(self.synonyms.get(first, first), self.synonyms.get(second, second))] = meant
        return Lexicon(synonyms=self.synonyms, compounds=compounds)

    @model_validator(mode="after")
    def _phrases_parse(self) -> Words:
        for name in ("ask_markers", "context_lead_ins", "context_phrases", "topic_switches"):
            for index, phrase in enumerate(getattr(self, name)):
                try:
                    parse_phrase(phrase, self.lexicon)
                except PhraseError as exc:
                    raise ValueError(f"{name}[{index}]: {exc}") from None
        return self


class Rule(_Frozen):
    """Evidence for one activity (or out-of-scope kind): any of the phrases, worth `weight`."""

    id: str = Field(pattern=RULE_ID)
    weight: Weight
    phrases: tuple[str, ...] = Field(min_length=1)

    @field_validator("weight")
    @classmethod
    def _not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("a weight of 0 makes the rule do nothing; remove the rule instead")
        return value

    @field_validator("phrases")
    @classmethod
    def _parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for phrase in value:
            try:
                parse_phrase(phrase, PLAIN)
            except PhraseError as exc:
                raise ValueError(str(exc)) from None
        return value


class Target(_Frozen):
    """The rules of one activity or one kind of out-of-scope request."""

    note: str = ""
    rules: tuple[Rule, ...] = Field(min_length=1)


class ClassificationRules(_Frozen):
    """Everything in `classification.yaml`; keys of `activities` are catalog activity slugs."""

    scoring: Scoring = Scoring()
    words: Words = Words()
    activities: dict[Annotated[str, Field(pattern=SLUG)], Target]
    out_of_scope: dict[Annotated[str, Field(pattern=SLUG)], Target]
    # Read from mappings/examples/*.jsonl by load_classification_rules, not from the YAML.
    examples: tuple[LabelledRequest, ...] = ()

    def all_rules(self) -> list[tuple[str, str | None, Rule]]:
        """(target, out-of-scope kind or None, rule) for every rule, in file order."""
        found: list[tuple[str, str | None, Rule]] = []
        for slug, target in self.activities.items():
            found.extend((slug, None, rule) for rule in target.rules)
        for kind, target in self.out_of_scope.items():
            found.extend(("out-of-scope", kind, rule) for rule in target.rules)
        return found
