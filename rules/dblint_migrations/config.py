"""The migrations pack's config sections (``dblint_config_sections``): ``migrations:`` says where
the Django apps' migrations or the Alembic scripts are, ``models:`` where the schema the models
describe comes from. Paths are relative to the config file.

Kinds read them with :func:`migrations_section` / :func:`models_section` (None without a config
or without the section).
"""

from __future__ import annotations

import re
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class DjangoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # app label -> its migrations folder, relative to the config file
    apps: dict[str, str] = Field(min_length=1)
    # settings module (e.g. "proj.settings"), importable with the config's folder on sys.path:
    # then Django's own loader gives the applied and pending schemas (DRIFT, MIG007, PRE rules)
    settings: str | None = None


class AlembicConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ini: str | None = None  # alembic.ini, whose [alembic] script_location is read
    script_location: str | None = None  # or the scripts folder itself
    # Alembic's version table, when env.py renames it; default: the version_table= string literal
    # of env.py's context.configure(...) calls, else alembic_version
    version_table: str | None = Field(None, min_length=1)
    # and the schema it is in; default: version_table_schema= of env.py, else the checked schema.
    # null here (rather than leaving the key out) means the checked schema, whatever env.py says.
    version_table_schema: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> AlembicConfig:
        if (self.ini is None) == (self.script_location is None):
            raise ValueError("give exactly one of ini or script_location")
        return self


class MigrationsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    django: DjangoConfig | None = None
    alembic: AlembicConfig | None = None


class ModelsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # "package.module:Base.metadata": a SQLAlchemy MetaData, imported with the config's folder on sys.path
    metadata: str | None = None
    # or a database built by the migrations (the CKAN check), reflected as the target schema
    reference_url: str | None = None

    @field_validator("metadata")
    @classmethod
    def _import_path(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[\w.]+:[\w.]+", v):
            raise ValueError(f"{v!r} is not an import path like 'models:Base.metadata'")
        return v


SECTIONS: dict[str, type[BaseModel]] = {"migrations": MigrationsConfig, "models": ModelsConfig}


def migrations_section(config: Any) -> MigrationsConfig | None:
    """The validated ``migrations:`` section of a run's config (None: no config, or no section)."""
    return cast("MigrationsConfig | None", config.section("migrations") if config is not None else None)


def models_section(config: Any) -> ModelsConfig | None:
    """The validated ``models:`` section (None: no config, or no section)."""
    return cast("ModelsConfig | None", config.section("models") if config is not None else None)


def configured(config: Any) -> list[str]:
    """The sources of migrations or models the config names, as their keys (for reasons)."""
    mig, models = migrations_section(config), models_section(config)
    keys = []
    if mig is not None:
        keys += [f"migrations.{k}" for k in ("django", "alembic") if getattr(mig, k) is not None]
    if models is not None:
        keys += [f"models.{k}" for k in ("metadata", "reference_url") if getattr(models, k)]
    return keys
