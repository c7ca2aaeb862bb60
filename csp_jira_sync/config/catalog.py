"""The CSP catalog: 5 categories and 23 activities that a CSP package covers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_LABEL = re.compile(r"^\S{1,255}$")


def check_label(value: str) -> str:
    """Jira rejects labels with spaces or over 255 characters (jiralert #79)."""
    if not _LABEL.match(value):
        raise ValueError(f"{value!r} is not a valid Jira label: no spaces, 1 to 255 characters")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Activity(_Frozen):
    slug: str = Field(pattern=SLUG)
    title: str = Field(min_length=1)
    label: str
    category: str = ""  # filled in from the enclosing category

    _check_label = field_validator("label")(check_label)


class Category(_Frozen):
    slug: str = Field(pattern=SLUG)
    title: str = Field(min_length=1)
    label: str
    activities: tuple[Activity, ...] = Field(min_length=1)

    _check_label = field_validator("label")(check_label)

    @model_validator(mode="after")
    def _own_activities(self) -> Category:
        owned = tuple(a.model_copy(update={"category": self.slug}) for a in self.activities)
        object.__setattr__(self, "activities", owned)
        return self


class Catalog(_Frozen):
    categories: tuple[Category, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Catalog:
        seen: set[str] = set()
        keys = [(c.slug, c.label) for c in self.categories]
        keys += [(a.slug, a.label) for a in self.activities()]
        for pair in keys:
            for key in pair:
                if key in seen:
                    raise ValueError(f"{key!r} is used twice; slugs and labels must be unique")
                seen.add(key)
        return self

    def activities(self) -> Iterator[Activity]:
        for category in self.categories:
            yield from category.activities

    def activity(self, slug: str) -> Activity:
        for activity in self.activities():
            if activity.slug == slug:
                return activity
        raise KeyError(slug)

    def category(self, slug: str) -> Category:
        for category in self.categories:
            if category.slug == slug:
                return category
        raise KeyError(slug)

    def category_of(self, activity_slug: str) -> Category:
        return self.category(self.activity(activity_slug).category)

    def activity_by_label(self, label: str) -> Activity | None:
        return next((a for a in self.activities() if a.label == label), None)

    @property
    def activity_labels(self) -> frozenset[str]:
        return frozenset(a.label for a in self.activities())

    @property
    def category_labels(self) -> frozenset[str]:
        return frozenset(c.label for c in self.categories)
