"""Rule files: YAML → validated rules, with the file and line of every rule and key.

A rule file is a mapping with ``rules:`` (a list) and optionally ``vars:`` (variable defaults), or a
bare list of rules. Loading is safe (no YAML tags execute anything); anchors and aliases are refused
so a file cannot expand into gigabytes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from linter.errors import RuleFileError, shown
from linter.kinds.base import FixModel, HandlerFix, Kind, Params

ID_PATTERN = r"^[A-Z][A-Z0-9_]*[0-9]+$"
MAX_FILE_BYTES = 5_000_000


class LineDict(dict[Any, Any]):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None, None, "anchors and aliases are not allowed in rule files", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        self.flatten_mapping(node)
        out = LineDict()
        out.line = node.start_mark.line + 1
        out.lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.MarkedYAMLError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark
                )
            if key in out:
                raise yaml.MarkedYAMLError(None, None, f"duplicate key {shown(key)}", key_node.start_mark)
            out[key] = self.construct_object(value_node, deep=deep)
            out.lines[str(key)] = key_node.start_mark.line + 1
        return out


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)  # type: ignore[arg-type]

# libyaml's parser and composer, when PyYAML has them, are about ten times faster than the pure
# Python ones: loading the built-in packs is most of a small check's start-up otherwise.
_FastLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        construct_mapping = _Loader.construct_mapping

    _FastLoader.add_constructor("tag:yaml.org,2002:map", _FastLoader.construct_mapping)


def _refuse_aliases(root: yaml.Node) -> None:
    """libyaml composes an alias as the very node it names: a node met twice is an alias."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.MarkedYAMLError(
                None, None, "anchors and aliases are not allowed in rule files", node.start_mark
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack += [k, v]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


def _load(text: str) -> Any:
    if _FastLoader is None:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_aliases(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml(path: Path, text: str | None = None) -> Any:
    """Safe YAML with line numbers; any problem is a RuleFileError naming file:line."""
    try:
        if text is None:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise RuleFileError(f"{path}: file is larger than {MAX_FILE_BYTES} bytes")
            text = path.read_text(encoding="utf-8")
        return _shallow(_load(text), path)
    except RuleFileError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        what = exc.problem or exc.context or "invalid YAML"
        raise RuleFileError(f"{where}: {what}") from None
    except (yaml.YAMLError, UnicodeDecodeError, OSError, RecursionError) as exc:
        raise RuleFileError(
            f"{path}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None


MAX_DEPTH = 64


def _shallow(data: Any, path: Path) -> Any:
    """Refuse absurd nesting (``[[[[…]]]]``) before anything recurses over it: the C loader
    parses it happily, and validation or ``${ENV}`` interpolation would then overflow the stack."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise RuleFileError(f"{path}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return data


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


@dataclass
class Rule:
    """A loaded, validated rule."""

    spec: RuleSpec
    kind: Kind[Any, Any]
    params: Params
    fix: FixModel | None
    file: Path
    line: int
    pack: str = ""
    pack_version: str = ""

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

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def _where(path: Path, node: Any, loc: Sequence[Any]) -> int:
    """The line of the deepest key of ``loc`` that exists in the YAML."""
    line = getattr(node, "line", 0)
    for part in loc:
        if isinstance(node, LineDict):
            line = node.lines.get(str(part), line)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def _fields_at(model: type[BaseModel] | None, loc: Sequence[Any]) -> list[str]:
    """The keys a model accepts at ``loc`` (following nested models), for "did you mean"."""
    for part in loc:
        if model is None or not isinstance(part, str):
            return []
        field = model.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def first_error(exc: ValidationError, model: type[BaseModel] | None = None) -> dict[str, Any]:
    """The error to show (one line): an unknown key before a missing one, since a misspelt key
    causes both and the misspelling is what the author must fix. A close known key is suggested."""
    errors = exc.errors()
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    if not unknown:
        return dict(errors[0])
    err: dict[str, Any] = dict(unknown[0])
    known = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"][:-1] == err["loc"][:-1]]
    known += _fields_at(model, err["loc"][:-1])
    close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1)
    if close:
        err["hint"] = close[0]
    return err


def _words(err: Mapping[str, Any], prefix: str = "") -> str:
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
    loc = f"{prefix}{'.' if prefix and loc else ''}{loc}"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key" + (f" (did you mean {err['hint']!r}?)" if err.get("hint") else "")
    elif err["type"] == "missing":
        msg = "is required"
    return f"{loc}: {msg}" if loc else msg


def _fail(path: Path, line: int, rule_id: str | None, what: str) -> RuleFileError:
    rid = f" {rule_id if len(rule_id) <= 80 else rule_id[:79] + '…'}:" if rule_id else ""
    return RuleFileError(f"{path}:{line}:{rid} {what}")


def parse_file(
    path: Path,
    kinds: Mapping[str, Kind[Any, Any]],
    pack: str = "",
    pack_version: str = "",
    text: str | None = None,
) -> tuple[list[Rule], dict[str, Any]]:
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
        raise _fail(path, _where(path, data, err["loc"]), None, _words(err)) from None
    raw_rules = data["rules"]
    rules: list[Rule] = []
    for i, raw in enumerate(rf.rules):
        line = getattr(raw, "line", _where(path, data, ["rules"]))
        rid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        if not isinstance(raw, dict):
            raise _fail(path, line, None, f"rules[{i}] is not a mapping")
        try:
            spec = RuleSpec.model_validate(raw)
        except ValidationError as exc:
            err = first_error(exc, RuleSpec)
            what = _words(err)
            if err["loc"] and err["loc"][0] == "id" and err["type"] == "string_pattern_mismatch":
                what = f"id: {shown(raw.get('id'))} is not a rule code (letters then digits, e.g. CORE001)"
            raise _fail(path, _where(path, raw_rules[i], err["loc"]), rid, what) from None
        kind = kinds.get(spec.kind)
        if kind is None:
            known = ", ".join(sorted(kinds))
            raise _fail(
                path,
                cast(LineDict, raw).lines.get("kind", line),
                rid,
                f"unknown kind {shown(spec.kind)} (known kinds: {known})",
            )
        try:
            params = kind.Params.model_validate(spec.params)
        except ValidationError as exc:
            err = first_error(exc, kind.Params)
            raise _fail(
                path, _where(path, raw, ["params", *err["loc"]]), rid, _words(err, "params")
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
                raise _fail(path, _where(path, raw, ["fix", *err["loc"]]), rid, _words(err, "fix")) from None
        rules.append(Rule(spec, kind, params, fix, path, line, pack, pack_version))
    return rules, dict(rf.vars)


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
) -> RuleSet:
    """Load (path, pack, version) sources; rule ids must be unique across all of them."""
    out = RuleSet()
    seen: dict[str, Rule] = {}
    for source, pack, version in sources:
        for path in rule_paths(source):
            rules, variables = parse_file(path, kinds, pack, version)
            for name, default in variables.items():
                out.variables.setdefault(name, default)
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
