"""The configuration: found as ``--config FILE``, ``dblint.yaml`` in the working directory, or
``[tool.dblint]`` in ``pyproject.toml``. ``${NAME}`` and ``${NAME:-default}`` in strings are read
from the environment, so passwords stay out of files."""

from __future__ import annotations

import os
import re
import tomllib
import urllib.parse
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from linter.errors import ConfigError
from linter.load.yamlfile import error_words, first_error, line_of, load_yaml

CONFIG_NAMES = ("dblint.yaml", "dblint.yml")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(ms|s|m|min|h)?\s*$")


MAXDURATION = 2_000_000.0  # seconds (~23 days): PostgreSQL's timeouts are int milliseconds


def parse_duration(value: Any) -> float:
    """Seconds from 10, 2.5, "10s", "300ms", "5m", "1h"."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = DURATION.match(str(value)[:100])
        if not m:
            raise ValueError(f"{str(value)[:40]!r} is not a duration (e.g. 10s, 300ms, 5m)")
        factor = {"ms": 0.001, "s": 1, None: 1, "m": 60, "min": 60, "h": 3600}[m.group(2)]
        seconds = float(m.group(1)) * factor
    if not seconds > 0:  # also NaN
        raise ValueError("must be positive")
    if seconds > MAXDURATION:
        raise ValueError(f"must be at most {int(MAXDURATION)} seconds")
    return seconds


# --- adopting dblint on existing data: suppressions and Django fixture mappings ---------------


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


# --- the config ----------------------------------------------------------------------------------


class DatabaseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    url: str | None = None
    statement_timeout: float = 300.0
    lock_timeout: float = 10.0
    schema_name: str | None = Field(None, alias="schema")

    @field_validator("statement_timeout", "lock_timeout", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float:
        return parse_duration(v)


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


class FixConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Rows any fix deletes go to dblint_quarantine_<table> first (as --quarantine).
    quarantine: bool = False


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    database: DatabaseConfig = DatabaseConfig()
    rules: list[str] = []
    select: list[str] = []
    ignore: list[str] = []
    disable_packs: list[str] = []
    vars: dict[str, Any] = {}
    suppress: list[Suppression] = []  # accepted violations (linter.adopt.baseline)
    fixtures: FixturesConfig = FixturesConfig()  # fixture files as targets (linter.targets.fixture_files)
    max_examples: int = Field(20, ge=0, le=100_000)
    jobs: int | None = Field(None, ge=1, le=256)
    migrations: MigrationsConfig = MigrationsConfig()
    models: ModelsConfig = ModelsConfig()
    fix: FixConfig = FixConfig()

    # Where the config came from: relative paths in it are relative to its folder.
    source: Path | None = Field(None, exclude=True)

    @property
    def root(self) -> Path:
        return self.source.parent if self.source else Path.cwd()

    def rule_sources(self) -> list[Path]:
        return [(self.root / p) for p in self.rules]


_USERINFO = re.compile(r"://[^/?#@]*$")


def interpolate(value: Any, where: str = "") -> Any:
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in os.environ:
                out = os.environ[name]
            elif default is not None:
                out = default
            else:
                raise ConfigError(f"{where}: environment variable {name} is not set")
            # In a URL's user:password@ part, characters such as @ / : # must be percent-encoded
            # (SQLAlchemy decodes them again), or a password like "p@ss" would break the URL.
            if _USERINFO.search(value[: m.start()]) and "@" in value[m.end() :]:
                out = urllib.parse.quote(out, safe="")
            return out

        return _ENV.sub(sub, value)
    if isinstance(value, dict):
        out = type(value)() if type(value) is not dict else {}
        for attr in ("line", "lines"):
            if hasattr(value, attr):
                setattr(out, attr, getattr(value, attr))
        for k, v in value.items():
            out[k] = interpolate(v, where)
        return out
    if isinstance(value, list):
        return [interpolate(v, where) for v in value]
    return value


def _shown(path: Path) -> str:
    """A path as the user would write it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _validate(data: Any, source: Path, raw: Any) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{_shown(source)}:1: the config must be a mapping")
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        err = first_error(exc, Config)
        line = line_of(source, raw, err["loc"]) if raw is not None else 0
        shown = _shown(source)
        where = f"{shown}:{line}" if line else shown
        raise ConfigError(f"{where}: {error_words(err)}") from None
    cfg.source = source.resolve()
    return cfg


def load_config(path: str | Path | None = None, cwd: Path | None = None) -> Config:
    cwd = cwd or Path.cwd()
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"{p}: no such config file")
        if p.suffix == ".toml":
            return _from_pyproject(p, required=True) or Config(source=p.resolve())
        return _from_yaml(p)
    for name in CONFIG_NAMES:
        if (cwd / name).exists():
            return _from_yaml(Path(_shown(cwd / name)))
    pyproject = Path(_shown(cwd / "pyproject.toml"))
    if pyproject.exists():
        cfg = _from_pyproject(pyproject, required=False)
        if cfg is not None:
            return cfg
    return Config()


def _from_yaml(p: Path) -> Config:
    from linter.errors import RuleFileError

    try:
        raw = load_yaml(p)
    except RuleFileError as exc:
        raise ConfigError(str(exc)) from None
    return _validate(interpolate(raw, str(p)), p, raw)


def _from_pyproject(p: Path, required: bool) -> Config | None:
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: {exc}") from None
    section = data.get("tool", {}).get("dblint")
    if section is None:
        if required:
            raise ConfigError(f"{p}: has no [tool.dblint] section")
        return None
    return _validate(interpolate(section, f"{p} [tool.dblint]"), p, None)
