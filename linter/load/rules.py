"""Rule files: YAML → validated rules, with the file and line of every rule and key.

A rule file is a mapping with ``rules:`` (a list) and optionally ``vars:`` (variable defaults), or a
bare list of rules. Loading is safe (no YAML tags execute anything); anchors and aliases are refused
so a file cannot expand into gigabytes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from linter.errors import RuleFileError, shown
from linter.kinds.base import FixModel, HandlerFix, Kind, Params
from linter.load.variables import VarSpec, declare
from linter.load.yamlfile import LineDict, error_words, first_error, line_of, load_yaml

ID_PATTERN = r"^[A-Z][A-Z0-9_]*[0-9]+$"


class RuleSpec(BaseModel):
    """A rule as written. ``params`` and ``fix`` are validated by the rule's kind."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    description: str = ""
    severity: Literal["error", "warning", "info"] = "error"
    kind: str
    params: dict[str, Any] = {}
    fix: dict[str, Any] | None = None
    tags: list[str] = []


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Any]
    vars: dict[str, Any] = {}


class Rule:
    """A loaded rule. A pack's rule may be loaded *pending*: its ``params`` and ``fix`` are then
    validated by its kind on first use (:meth:`validate`), so a run pays only for the rules it
    selects from packs that apply (building a kind's pydantic models and vetting raw SQL are the
    costly part of loading). Errors still name the file and line."""

    def __init__(
        self,
        spec: RuleSpec,
        kind: Kind[Any, Any],
        params: Params | None,
        fix: FixModel | None,
        file: Path,
        line: int,
        pack: str = "",
        pack_version: str = "",
        pending: Callable[[], tuple[Params, FixModel | None]] | None = None,
    ) -> None:
        self.spec = spec
        self.kind = kind
        self._params = params
        self._fix = fix
        self.file = file
        self.line = line
        self.pack = pack
        self.pack_version = pack_version
        self._pending = pending

    def validate(self) -> None:
        """Validate a pending rule's params and fix now (RuleFileError naming file:line)."""
        if self._pending is not None:
            self._params, self._fix = self._pending()
            self._pending = None

    @property
    def params(self) -> Params:
        self.validate()
        assert self._params is not None
        return self._params

    @property
    def fix(self) -> FixModel | None:
        self.validate()
        return self._fix

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rule):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value (as the dataclass was)

    def _fields(self) -> tuple[Any, ...]:
        where = (self.file, self.line, self.pack, self.pack_version)
        return (self.spec, self.kind, self.params, self.fix, *where)

    def __repr__(self) -> str:
        return f"Rule({self.id!r}, kind={self.spec.kind!r}, where={self.where!r}, pack={self.pack!r})"

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.title or self.kind.title(self.params)

    @property
    def severity(self) -> str:
        return self.spec.severity

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    var_specs: dict[str, VarSpec] = field(default_factory=dict)  # declared types (linter.load.variables)

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def _fail(path: Path, line: int, rule_id: str | None, what: str) -> RuleFileError:
    rid = f" {rule_id if len(rule_id) <= 80 else rule_id[:79] + '…'}:" if rule_id else ""
    return RuleFileError(f"{path}:{line}:{rid} {what}")


def parse_file(
    path: Path,
    kinds: Mapping[str, Kind[Any, Any]],
    pack: str = "",
    pack_version: str = "",
    text: str | None = None,
    lazy: bool = False,
) -> tuple[list[Rule], dict[str, VarSpec]]:
    """The rules of one file and its declared variables. ``lazy``: each rule's kind validates its
    params and fix on first use (the rule's id, kind name and the rest of it are still validated now)."""
    data = load_yaml(path, text)
    if data is None:
        return [], {}
    if isinstance(data, list):
        data = LineDict(rules=data)
        data.line, data.lines = 1, {"rules": 1}
    if not isinstance(data, dict):
        raise _fail(path, 1, None, "a rule file is a mapping with 'rules:' (or a list of rules)")
    try:
        rf = RuleFile.model_validate(data)
    except ValidationError as exc:
        err = first_error(exc, RuleFile)
        raise _fail(path, line_of(path, data, err["loc"]), None, error_words(err)) from None
    specs: dict[str, VarSpec] = {}
    for name, raw in rf.vars.items():
        try:
            specs[name] = declare(raw)
        except ValueError as exc:
            raise _fail(
                path, line_of(path, data, ["vars", name]), None, f"vars.{shown(name)}: {exc}"
            ) from None
    raw_rules = data["rules"]
    rules: list[Rule] = []
    for i, raw in enumerate(rf.rules):
        line = getattr(raw, "line", line_of(path, data, ["rules"]))
        rid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        if not isinstance(raw, dict):
            raise _fail(path, line, None, f"rules[{i}] is not a mapping")
        try:
            spec = RuleSpec.model_validate(raw)
        except ValidationError as exc:
            err = first_error(exc, RuleSpec)
            what = error_words(err)
            if err["loc"] and err["loc"][0] == "id" and err["type"] == "string_pattern_mismatch":
                what = f"id: {shown(raw.get('id'))} is not a rule code (letters then digits, e.g. CORE001)"
            raise _fail(path, line_of(path, raw_rules[i], err["loc"]), rid, what) from None
        kind = kinds.get(spec.kind)
        if kind is None:
            known = ", ".join(sorted(kinds))
            raise _fail(
                path,
                cast(LineDict, raw).lines.get("kind", line),
                rid,
                f"unknown kind {shown(spec.kind)} (known kinds: {known})",
            )
        check = functools.partial(_validate, path, raw, line, rid, spec, kind)
        if lazy:
            rules.append(Rule(spec, kind, None, None, path, line, pack, pack_version, pending=check))
            continue
        params, fix = check()
        rules.append(Rule(spec, kind, params, fix, path, line, pack, pack_version))
    return rules, specs


def _validate(
    path: Path, raw: Any, line: int, rid: str | None, spec: RuleSpec, kind: Kind[Any, Any]
) -> tuple[Params, FixModel | None]:
    """A rule's params and fix, validated by its kind (errors name file:line and the rule id)."""
    try:
        params = kind.Params.model_validate(spec.params)
    except ValidationError as exc:
        err = first_error(exc, kind.Params)
        raise _fail(
            path, line_of(path, raw, ["params", *err["loc"]]), rid, error_words(err, "params")
        ) from None
    fix: FixModel | None = None
    if spec.fix is not None:
        model: type[FixModel] = HandlerFix if spec.fix.get("handler") else (kind.Fix or FixModel)
        if kind.Fix is None and not spec.fix.get("handler"):
            raise _fail(
                path,
                cast(LineDict, raw).lines.get("fix", line),
                rid,
                f"kind {kind.name!r} has no fix; name a handler",
            )
        try:
            fix = model.model_validate(spec.fix)
        except ValidationError as exc:
            err = first_error(exc, model)
            raise _fail(
                path, line_of(path, raw, ["fix", *err["loc"]]), rid, error_words(err, "fix")
            ) from None
    return params, fix


def rule_paths(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and not p.name.startswith(".")
        )
    if not path.exists():
        raise RuleFileError(f"{path}: no such rule file or folder")
    return [path]


def load(
    sources: Iterable[tuple[Path, str, str]],
    kinds: Mapping[str, Kind[Any, Any]],
    lazy: Collection[str] = (),
) -> RuleSet:
    """Load (path, pack, version) sources; rule ids must be unique across all of them. The rules of
    the packs named in ``lazy`` are validated by their kinds on first use (:meth:`Rule.validate`)."""
    out = RuleSet()
    seen: dict[str, Rule] = {}
    for source, pack, version in sources:
        for path in rule_paths(source):
            rules, variables = parse_file(path, kinds, pack, version, lazy=pack in lazy)
            for name, spec in variables.items():
                out.variables.setdefault(name, spec.default)
                out.var_specs.setdefault(name, spec)
            for rule in rules:
                if rule.id in seen:
                    other = seen[rule.id]
                    raise RuleFileError(f"{rule.where}: {rule.id}: duplicate rule id (also at {other.where})")
                seen[rule.id] = rule
                out.rules.append(rule)
    return out


_SPLIT = re.compile(r"[,\s]+")


def parse_codes(values: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or ():
        out += [c.strip().upper() for c in _SPLIT.split(v) if c.strip()]
    return out


def select(rules: Sequence[Rule], selected: Sequence[str], ignored: Sequence[str]) -> list[Rule]:
    """Ruff's semantics: a rule runs when some selector is a prefix of its id and no longer-or-equal
    ignore prefix matches it (the most specific wins). ``ALL`` selects everything."""

    def best(rule_id: str, prefixes: Sequence[str]) -> int:
        lens = [0 if p == "ALL" else len(p) for p in prefixes if p == "ALL" or rule_id.startswith(p)]
        return max(lens, default=-1)

    out = []
    for r in rules:
        s = best(r.id, selected) if selected else 0
        i = best(r.id, ignored)
        if s >= 0 and (i < 0 or s > i):
            out.append(r)
    return out
