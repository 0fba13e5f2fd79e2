"""YAML files read safely and with line numbers (rule files and the config): no tags that execute,
no anchors or aliases (a file cannot expand into gigabytes), a depth limit, and pydantic errors
turned into one line naming the key (with "did you mean") for ``file:line`` messages."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from linter.errors import RuleFileError, shown

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
        raise RuleFileError(_marked(path, exc)) from None
    except (yaml.YAMLError, UnicodeDecodeError, OSError, RecursionError) as exc:
        raise RuleFileError(
            f"{path}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None


def _marked(path: Path, exc: yaml.MarkedYAMLError) -> str:
    """``file:LINE: problem``, and where the broken construct began when that is another line
    (an unclosed ``[`` is noticed where the parser gave up, often lines later)."""
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}" if mark else str(path)
    what = exc.problem or exc.context or "invalid YAML"
    start = exc.context_mark
    if start is not None and mark is not None and start.line != mark.line:
        ctx = (exc.context or "").removeprefix("while ").replace("parsing ", "").replace("scanning ", "")
        what += f" ({ctx or 'the construct'} opened at line {start.line + 1}, column {start.column + 1})"
    return f"{where}: {what}"


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


def line_of(path: Path, node: Any, loc: Sequence[Any]) -> int:
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


def error_words(err: Mapping[str, Any], prefix: str = "") -> str:
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
    loc = f"{prefix}{'.' if prefix and loc else ''}{loc}"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key" + (f" (did you mean {err['hint']!r}?)" if err.get("hint") else "")
    elif err["type"] == "missing":
        msg = "is required"
    return f"{loc}: {msg}" if loc else msg
