"""The configuration: found as ``--config FILE``, else, as Ruff and pytest look, ``dblint.yaml``,
``.dblint.yaml`` or ``[tool.dblint]`` in ``pyproject.toml`` in the working directory or the nearest
parent that has one (never above the repository root); two of them in one folder is an error.
``${NAME}`` and ``${NAME:-default}`` in strings are read
from the environment, so passwords stay out of files.

dblint's own keys are validated when the file is read; every other top-level key is a pack's
section (``dblint_config_sections``), validated once the packs are loaded (:meth:`Config.bind_sections`),
with errors as ``file:line`` all the same."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import urllib.parse
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from linter.errors import ConfigError
from linter.load.yamlfile import error_words, first_error, line_of, load_yaml

CONFIG_NAMES = ("dblint.yaml", ".dblint.yaml", "dblint.yml", ".dblint.yml")
REPO_MARKERS = (".git", ".hg", ".svn")  # discovery stops at the repository root
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

    model_config = ConfigDict(extra="forbid", defer_build=True)
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

    model_config = ConfigDict(extra="forbid", defer_build=True)
    table: str
    pk: str = "id"
    columns: dict[str, str] = {}


class FixturesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    django_models: dict[str, str | DjangoModel] = {}
    # Files the pre-commit hook takes besides SQLite files and SQLite dumps (glob patterns,
    # relative to the config's folder, e.g. "fixtures/*.sql" for hand-written dumps).
    files: list[str] = []

    def model(self, label: str) -> DjangoModel | None:
        m = self.django_models.get(label) or self.django_models.get(label.lower())
        return DjangoModel(table=m) if isinstance(m, str) else m


# --- the config ----------------------------------------------------------------------------------


class DatabaseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    url: str | None = None
    statement_timeout: float = 300.0
    lock_timeout: float = 10.0
    schema_name: str | None = Field(None, alias="schema")

    @field_validator("statement_timeout", "lock_timeout", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float:
        return parse_duration(v)


class FixConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    # Rows any fix deletes go to dblint_quarantine_<table> first (as --quarantine).
    quarantine: bool = False
    # Where undo scripts go (relative to the config's folder); default: next to the config, or,
    # for the pre-commit hook, the user's cache folder (never untracked files in the repository).
    undo_dir: str | None = None


class Config(BaseModel):
    # defer_build (here and above): pydantic builds a model's validator when first used, not at
    # import; every run pays the import, and a run without a config file never needs most of them.
    model_config = ConfigDict(extra="forbid", defer_build=True)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    rules: list[str] = []
    select: list[str] = []
    ignore: list[str] = []
    disable_packs: list[str] = []
    vars: dict[str, Any] = {}
    suppress: list[Suppression] = []  # accepted violations (linter.adopt.baseline)
    # fixture files as targets (linter.targets.fixture_files)
    fixtures: FixturesConfig = Field(default_factory=FixturesConfig)
    max_examples: int = Field(20, ge=0, le=100_000)
    jobs: int | None = Field(None, ge=1, le=256)
    fix: FixConfig = Field(default_factory=FixConfig)

    # Where the config came from: relative paths in it are relative to its folder.
    source: Path | None = Field(None, exclude=True)

    # Top-level keys that are not dblint's own belong to packs (``dblint_config_sections``): kept
    # here as read (with the YAML's line numbers) until the packs are loaded, then validated by
    # :meth:`bind_sections` into ``_sections``.
    _pending: dict[str, Any] = PrivateAttr(default_factory=dict)
    _raw: Any = PrivateAttr(None)  # the YAML as read, for line numbers (None: [tool.dblint])
    _shown: str = PrivateAttr("config")  # the file as errors name it
    _sections: dict[str, BaseModel] = PrivateAttr(default_factory=dict)
    _models: dict[str, type[BaseModel]] | None = PrivateAttr(None)  # None: not bound yet
    _ignored: frozenset[str] = PrivateAttr(frozenset())  # sections of disabled packs

    @property
    def shown_source(self) -> str:
        """The file this config came from, as messages name it ("" without one)."""
        if self.source is None:
            return ""
        return self._shown + (" [tool.dblint]" if self.source.suffix == ".toml" else "")

    @property
    def root(self) -> Path:
        return self.source.parent if self.source else Path.cwd()

    def rule_sources(self) -> list[Path]:
        return [(self.root / p) for p in self.rules]

    @classmethod
    def own_keys(cls) -> list[str]:
        """dblint's own top-level keys (as written in the file)."""
        return [f.alias or name for name, f in cls.model_fields.items() if name != "source"]

    def pack_keys(self) -> list[str]:
        """The top-level keys that are not dblint's own, in file order."""
        return list(self._pending)

    def section(self, name: str) -> BaseModel | None:
        """A pack's validated config section (``dblint_config_sections``); None when the config
        has none, or when its pack is not loaded."""
        if name in self._pending and self._models is None:
            # A programming error, not a user's: the section exists but was never validated.
            raise RuntimeError(f"config section {name!r} is read before the packs' sections are bound")
        return self._sections.get(name)

    def bind_sections(self, models: Mapping[str, type[BaseModel]], ignored: Collection[str] = ()) -> None:
        """Validate every pack section with its pack's model. A key no model owns is an error naming
        file:line and the closest known key, unless it is ``ignored`` (a disabled pack's section)."""
        sections: dict[str, BaseModel] = {}
        known = [*self.own_keys(), *models, *ignored]
        for key, value in self._pending.items():
            model = models.get(key)
            if model is not None:
                sections[key] = self._validated(key, value, model)
            elif key not in ignored:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(f"{self._where([key])}: {key}: unknown key{hint}")
        self._models, self._sections, self._ignored = dict(models), sections, frozenset(ignored)

    def with_sections(self, data: Mapping[str, Any]) -> Config:
        """A copy with more pack sections (as a file would hold them), validated with the models
        this config was bound with: the config ``dblint init`` is about to write, for instance."""
        out = self.model_copy()
        out._pending = {**self._pending, **data}
        out.bind_sections(self._models or {}, self._ignored)
        return out

    def _validated(self, key: str, value: Any, model: type[BaseModel]) -> BaseModel:
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            err = first_error(exc, model)
            raise ConfigError(f"{self._where([key, *err['loc']])}: {error_words(err, key)}") from None

    def _where(self, loc: Sequence[Any]) -> str:
        line = line_of(Path(self._shown), self._raw, loc) if self._raw is not None else 0
        return f"{self._shown}:{line}" if line else self._shown


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
    own = set(Config.own_keys())
    try:
        cfg = Config.model_validate({k: v for k, v in data.items() if k in own})
    except ValidationError as exc:
        err = first_error(exc, Config)
        line = line_of(source, raw, err["loc"]) if raw is not None else 0
        shown = _shown(source)
        where = f"{shown}:{line}" if line else shown
        raise ConfigError(f"{where}: {error_words(err)}") from None
    cfg.source = source.resolve()
    # The rest belongs to packs, validated once they are loaded (linter.load.plugins.bind_config_sections).
    cfg._pending = {k: v for k, v in data.items() if k not in own}
    cfg._raw, cfg._shown = raw, _shown(source)
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
    found = discover(cwd)
    if found is None:
        return Config()
    if found.name == "pyproject.toml":
        return _from_pyproject(found, required=True) or Config()
    return _from_yaml(found)


def discover(cwd: Path) -> Path | None:
    """The config file of ``cwd``: the first folder from ``cwd`` up that holds one, stopping at
    the repository root (a folder with ``.git``). Two in one folder is an error naming both: one
    silently winning over the other is how a setting gets lost."""
    for folder in [cwd, *cwd.resolve().parents]:
        found = [folder / n for n in CONFIG_NAMES if (folder / n).is_file()]
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_section(pyproject):
            found.append(pyproject)
        if len(found) > 1:
            names = " and ".join(_shown(p) + (" [tool.dblint]" if p.suffix == ".toml" else "") for p in found)
            raise ConfigError(f"two dblint configs in one folder: {names}; keep one (or pass --config)")
        if found:
            return Path(_shown(found[0]))
        if any((folder / m).exists() for m in REPO_MARKERS):
            return None
    return None


def _has_tool_section(p: Path) -> bool:
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_shown(p)}: {exc}") from None
    tool = data.get("tool")
    return isinstance(tool, dict) and "dblint" in tool


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
