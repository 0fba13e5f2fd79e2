"""Config sections for adopting dblint on existing data: suppressions (``suppress:``, applied by
linter.baseline) and the mapping of Django fixture models to tables (``fixtures:``, used by
linter.fixtures)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Suppression(BaseModel):
    """A violation that is known and accepted: by rule (id or prefix), by table, by row key, or a
    combination; the reason is required so the next reader knows why."""

    model_config = ConfigDict(extra="forbid")
    rule: str | None = None
    table: str | None = None
    key: dict[str, Any] | None = None
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _scoped(self) -> Suppression:
        if not self.rule and not self.table:
            raise ValueError("a suppression names a rule, a table, or both")
        return self


class DjangoModel(BaseModel):
    """Where a Django model's fixture rows go: the table, its primary-key column, and field →
    column names where they differ (a ForeignKey field ``discipline`` is column ``discipline_id``)."""

    model_config = ConfigDict(extra="forbid")
    table: str
    pk: str = "id"
    columns: dict[str, str] = {}


class FixturesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    django_models: dict[str, str | DjangoModel] = {}

    def model(self, label: str) -> DjangoModel | None:
        m = self.django_models.get(label) or self.django_models.get(label.lower())
        return DjangoModel(table=m) if isinstance(m, str) else m
